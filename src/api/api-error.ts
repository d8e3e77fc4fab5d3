// An error the API answers with this HTTP status and code (request parsing,
// routing); node refusals arrive as NodeError and are mapped in respond.ts.
export class ApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) {
    super(message)
    this.name = 'ApiError'
  }
}
