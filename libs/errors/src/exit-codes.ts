/** sysexits(3) codes, the only exit codes ozkit tools use (docs/architecture.md, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  usage: 64,
  dataError: 65,
  noInput: 66,
  unavailable: 69,
  software: 70,
  ioError: 74,
  tempFail: 75,
  interrupted: 130,
  terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
