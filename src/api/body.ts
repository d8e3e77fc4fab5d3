// Request bodies: JSON only, size-limited, read without trusting the client's
// Content-Length (it may lie or be absent with chunked encoding).
import type { IncomingMessage } from 'node:http'
import { ApiError } from './api-error.js'

export const DEFAULT_BODY_LIMIT = 64 * 1024

// decode() without { stream } keeps no state between calls: one decoder serves every request
const UTF8 = new TextDecoder('utf-8', { fatal: true })

function isJsonContentType (header: string | undefined): boolean {
  if (header === undefined) return false
  const type = header.split(';')[0].trim().toLowerCase()
  return type === 'application/json'
}

/** The raw body; ApiError 413 beyond `limit` bytes. */
export async function readBody (req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit)
  return await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const finish = (err: Error | null, value?: Buffer): void => {
      if (done) return
      done = true
      req.off('data', onData)
      if (err !== null) reject(err)
      else resolve(value as Buffer)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        // Keep draining (discarding) so the 413 reaches a client that is still sending.
        req.resume()
        finish(tooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => finish(null, Buffer.concat(chunks, size)))
    req.once('error', (err) => finish(err))
    // 'close' also follows every completed request: build the error (and its stack) only when it is one
    req.once('close', () => { if (!done) finish(new ApiError(400, 'aborted', 'the request was aborted')) })
  })
}

function tooLarge (limit: number): ApiError {
  return new ApiError(413, 'payload-too-large', `the request body exceeds ${limit} bytes`)
}

/** The parsed JSON body, or undefined when the body is empty. */
export async function readJsonBody (req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const bytes = await readBody(req, limit)
  if (bytes.length === 0) return undefined
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new ApiError(415, 'unsupported-media-type', 'the request body must be JSON, sent with Content-Type: application/json')
  }
  let text: string
  try {
    text = UTF8.decode(bytes)
  } catch {
    throw new ApiError(400, 'bad-json', 'the request body is not UTF-8 text')
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ApiError(400, 'bad-json', `malformed JSON: ${(err as Error).message}`)
  }
}
