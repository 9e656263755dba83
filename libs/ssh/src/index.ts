export { SshSession, oneLine, type SshConnectOptions, type ExecOptions, type ExecResult, type UploadOptions, type ConnectFailure } from './ssh-session.js';
export { waitForSsh, type WaitForSshOptions } from './wait-for-ssh.js';
export { HostKeyPin, hostKeyOf, type HostKey } from './host-key.js';
export { loadPrivateKey } from './private-key.js';
export { OutputTail } from './output-tail.js';
