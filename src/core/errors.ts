// Typed validation errors. `code` is a stable reason string used for metrics
// labels, API error bodies and peer scoring; `severity` says whether the data
// is provably invalid ('reject': the sender is at fault) or merely not useful
// now ('ignore': duplicate, unknown parent, too far in the future...).

export type Severity = 'reject' | 'ignore'

export class ValidationError extends Error {
  readonly code: string
  readonly severity: Severity

  constructor (code: string, message: string, severity: Severity = 'reject') {
    super(message)
    this.name = 'ValidationError'
    this.code = code
    this.severity = severity
  }
}

/** Bytes that do not decode to a canonical message. Always the sender's fault. */
export class DecodeError extends ValidationError {
  constructor (code: string, message: string) {
    super(code, message, 'reject')
    this.name = 'DecodeError'
  }
}

export function isValidationError (err: unknown): err is ValidationError {
  return err instanceof ValidationError
}
