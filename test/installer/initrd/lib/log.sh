# Installer log: every line goes to the serial console (what guest-install captures), the
# screen (what a screendump shows) and /run/installer.log (copied into the target at the end).

LOG_FILE=/run/installer.log

# log_start: routes this shell's stdout and stderr, and so every command's output, to the log.
log_start() {
  : >>"$LOG_FILE"
  mkfifo /run/log.fifo
  # tee writes the file and the screen; the last stage writes the serial port.
  ( tee -a "$LOG_FILE" </run/log.fifo | tee /dev/tty0 2>/dev/null >/dev/ttyS0 ) &
  exec >/run/log.fifo 2>&1
}

log() { echo "ozkit-installer: $*"; }
step() { STEP_NAME=$*; log "== $*"; }
warn() { echo "ozkit-installer: warning: $*"; }
