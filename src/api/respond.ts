// Writing responses: JSON with the error shape of DESIGN.md, and the headers
// every response carries. Nothing here ever writes a stack trace.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { NodeError, type NodeErrorKind } from '../node/errors.js'
import { ApiError } from './api-error.js'
import { AddressError } from '../wallet/address.js'
import { BuildError } from '../wallet/builder.js'
import { WalletError } from '../wallet/wallet.js'

/** The dashboard's scripts, styles and connections come from this server only: no inline code, no third parties. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// The headers every response carries (nosniff, no referrer), as name/value pairs.
const COMMON_HEADERS = ['X-Content-Type-Options', 'nosniff', 'Referrer-Policy', 'no-referrer'] as const

export function setCommonHeaders (res: ServerResponse): void {
  for (let i = 0; i < COMMON_HEADERS.length; i += 2) res.setHeader(COMMON_HEADERS[i], COMMON_HEADERS[i + 1])
}

export function setHtmlHeaders (res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  res.setHeader('X-Frame-Options', 'DENY')
}

// Views are JSON-ready, but a bigint slipping through must not turn into a 500.
function replacer (_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

// A replacer is called for every key of every object: JSON.stringify without
// one is several times faster, and only a bigint makes it throw.
function toJson (body: unknown): string {
  try {
    return JSON.stringify(body) ?? 'null'
  } catch (err) {
    if (!(err instanceof TypeError)) throw err
    return JSON.stringify(body, replacer) ?? 'null'
  }
}

/**
 * Writes a JSON response with the common headers. The headers go to
 * writeHead as one list (the API's hot path: POST /api/tx): setHeader checks
 * and stores each name in a map first, per response, for headers that are the
 * same on every reply. Headers set before (Allow, Retry-After, ...) are kept.
 */
export function sendJson (res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const text = toJson(body)
  res.writeHead(status, [
    'Content-Type', 'application/json; charset=utf-8',
    'Cache-Control', 'no-store',
    'Content-Length', String(Buffer.byteLength(text)),
    ...COMMON_HEADERS
  ])
  res.end(text)
}

export interface ErrorBody { error: { code: string, message: string } }

/** The one place a node's refusal becomes an HTTP status. */
const STATUS_OF: Record<NodeErrorKind, number> = { invalid: 400, conflict: 409, 'not-found': 404, unavailable: 503 }

/** The status and body an error becomes; `internal` says it was unexpected (log its stack). */
export function errorResponse (err: unknown): { status: number, body: ErrorBody, internal: boolean } {
  const body = (code: string, message: string): ErrorBody => ({ error: { code, message } })
  if (err instanceof ApiError) {
    const status = Number.isInteger(err.status) && err.status >= 400 && err.status <= 599 ? err.status : 500
    return { status, body: body(err.code, err.message), internal: status >= 500 }
  }
  if (err instanceof NodeError) {
    const status = STATUS_OF[err.kind]
    return { status, body: body(err.code, err.message), internal: status >= 500 }
  }
  if (err instanceof AddressError) return { status: 400, body: body('bad-address', err.message), internal: false }
  if (err instanceof BuildError) return { status: 400, body: body(err.code, err.message), internal: false }
  if (err instanceof WalletError) return { status: 400, body: body(err.code, err.message), internal: false }
  return { status: 500, body: body('internal', 'internal error; see the node log'), internal: true }
}

export function sendError (res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
  sendJson(res, status, { error: { code, message } } satisfies ErrorBody)
}

/** True when the client still waits for this response. */
export function canRespond (req: IncomingMessage, res: ServerResponse): boolean {
  return !res.headersSent && !res.destroyed && !req.socket.destroyed
}
