// Errors the CLI reports as one line and an exit code, without a stack trace
// (the stack is shown only with --debug).

/** Exit codes: 1 = the operation failed, 2 = the command line or the config file is wrong. */
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export class CliError extends Error {
  constructor (message: string, readonly exitCode: number = EXIT_FAILURE, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CliError'
  }
}

/** A wrong command line; `command` names the command whose --help explains it. */
export class UsageError extends CliError {
  constructor (message: string, readonly command: string) {
    super(message, EXIT_USAGE)
    this.name = 'UsageError'
  }
}
