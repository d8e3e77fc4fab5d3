// Checking what clients send: request bodies, path segments, query strings.
// Each failure is an ApiError 400 whose message names the field.
import { z } from 'zod'
import { MAX_MONEY, type NetworkParams } from '../core/params.js'
import { ApiError } from './api-error.js'
import { AddressError, decodeAddress } from '../wallet/address.js'

export type JsonObject = Record<string, unknown>

function bad (code: string, message: string): ApiError {
  return new ApiError(400, code, message)
}

function shown (v: unknown): string {
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  return String(v)
}

// ---- request bodies: a zod object per route ------------------------------------

/**
 * A body field checked by one of the parsers below: the parser's ApiError
 * (its code and message, which name the field) becomes the zod issue.
 * `required`: an absent field is 400 missing-field.
 */
export function field<T> (parse: (value: unknown) => T, opts: { required?: boolean } = {}): z.ZodType<T, unknown> {
  return z.unknown().transform((value, ctx) => {
    if (value === undefined && opts.required === true) {
      ctx.addIssue({ code: 'custom', message: 'required', params: { code: 'missing-field' } })
      return z.NEVER
    }
    try {
      return parse(value)
    } catch (err) {
      if (!(err instanceof ApiError)) throw err
      ctx.addIssue({ code: 'custom', message: err.message, params: { code: err.code } })
      return z.NEVER
    }
  })
}

/** A request body: a JSON object with only these fields (an empty body is not one). */
export function bodySchema<S extends z.ZodRawShape> (shape: S): z.ZodObject<S, z.core.$strict> {
  return z.strictObject(shape)
}

// unknown fields first, then missing ones, then the rest in field order: the most basic mistake is reported
const RANK: Record<string, number> = { 'unknown-field': 0, 'missing-field': 1 }

/** The checked body, or ApiError 400 naming the field (codes: bad-body, unknown-field, missing-field, the parsers' own). */
export function parseBody<S extends z.ZodRawShape> (schema: z.ZodObject<S, z.core.$strict>, body: unknown): z.output<z.ZodObject<S, z.core.$strict>> {
  const allowed = Object.keys(schema.shape)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw bad('bad-body', `the request body must be a JSON object${allowed.length > 0 ? ` with ${allowed.join(', ')}` : ''}`)
  }
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const errors = result.error.issues.map(issue => {
    if (issue.code === 'unrecognized_keys') return bad('unknown-field', `unknown field "${issue.keys[0]}" (expected ${allowed.length > 0 ? allowed.join(', ') : 'none'})`)
    const code = issue.code === 'custom' ? String(issue.params?.code ?? 'bad-field') : 'bad-field'
    return bad(code, code === 'missing-field' ? `${issue.path.join('.')}: required` : issue.message)
  })
  throw errors.sort((x, y) => (RANK[x.code] ?? 2) - (RANK[y.code] ?? 2))[0]
}

const INTEGER = /^-?[0-9]+$/
// MAX_MONEY has 16 digits: anything much longer is out of range without parsing it.
const MAX_DIGITS = 24
const BEYOND = MAX_MONEY + 1n

/** Base units from a decimal string or an integer number; never through a float. */
function integerAmount (value: unknown, field: string, code: string): bigint {
  // Integer-valued doubles convert exactly; unsafe ones are far above MAX_MONEY and fail the range check.
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
  if (typeof value === 'string' && INTEGER.test(value)) {
    const negative = value.startsWith('-')
    if (value.replace(/^-?0*/, '').length > MAX_DIGITS) return negative ? -BEYOND : BEYOND
    return BigInt(value)
  }
  throw bad(code, `${field}: expected a decimal string of base units such as "1000", got ${shown(value)}`)
}

/** A payment amount: 1 ..= MAX_MONEY base units. Codes: bad-amount, amount-not-positive, amount-too-large. */
export function parsePaymentAmount (value: unknown, field = 'amount'): bigint {
  const amount = integerAmount(value, field, 'bad-amount')
  if (amount <= 0n) throw bad('amount-not-positive', `${field}: must be positive, got ${shown(value)}`)
  if (amount > MAX_MONEY) throw bad('amount-too-large', `${field}: ${shown(value)} exceeds the money supply (${MAX_MONEY} base units)`)
  return amount
}

/** A fee: 0 ..= MAX_MONEY base units. Code: bad-fee. */
export function parseFee (value: unknown, field = 'fee'): bigint {
  const fee = integerAmount(value, field, 'bad-fee')
  if (fee < 0n || fee > MAX_MONEY) throw bad('bad-fee', `${field}: must be from 0 to ${MAX_MONEY} base units, got ${shown(value)}`)
  return fee
}

/** A valid address on this network (trimmed); 400 bad-address with the AddressError's message. */
export function parseAddress (value: unknown, params: NetworkParams, field = 'address'): string {
  try {
    decodeAddress(value, params)
  } catch (err) {
    if (err instanceof AddressError) throw bad('bad-address', `${field}: ${err.message}`)
    throw err
  }
  return (value as string).trim()
}

export function parseBoolean (value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw bad('bad-field', `${field}: expected true or false, got ${shown(value)}`)
  return value
}

const HASH_HEX = /^[0-9a-fA-F]{64}$/

/** A 32-byte hash in hex (lower-cased). */
export function parseHash (value: string, field: string): string {
  if (!HASH_HEX.test(value)) throw bad(`bad-${field}`, `${field}: expected 64 hex characters, got ${shown(value)}`)
  return value.toLowerCase()
}

/** A height (decimal) or a block hash (64 hex). */
export function parseBlockId (value: string): string {
  if (/^[0-9]{1,10}$/.test(value) && Number(value) <= 0xffffffff) return String(Number(value))
  if (HASH_HEX.test(value)) return value.toLowerCase()
  throw bad('bad-block-id', `expected a block height or a 64-hex-character block hash, got ${shown(value)}`)
}

/** An address-history cursor "<height>-<txid>" as the previous page returned it; undefined when absent. */
export function parseHistoryCursor (value: string | null): string | undefined {
  if (value === null || value === '') return undefined
  const m = /^([0-9]{1,10})-([0-9a-fA-F]{64})$/.exec(value)
  if (m === null || Number(m[1]) > 0xffffffff) throw bad('bad-cursor', `cursor: expected the "next" value of the previous page, got ${shown(value)}`)
  return `${Number(m[1])}-${m[2].toLowerCase()}`
}

/** Even-length, non-empty hex. */
export function parseHex (value: unknown, field: string): Uint8Array {
  if (typeof value === 'string' && value.length > 0 && value.length % 2 === 0) {
    // Written straight into the result; Buffer's hex decoder stops at the
    // first pair that is not hex, so a short count is the validity test
    // (no regular expression over the string, no second copy).
    const out = new Uint8Array(value.length / 2)
    if (Buffer.from(out.buffer).write(value, 'hex') === out.length) return out
  }
  throw bad('bad-hex', `${field}: expected a non-empty, even-length hex string, got ${shown(value)}`)
}

/** An optional integer query parameter within bounds; with `clamp`, values above `max` become `max`. */
export function queryInt (query: URLSearchParams, name: string, opts: { fallback?: number, min: number, max: number, clamp?: boolean }): number | undefined {
  const raw = query.get(name)
  if (raw === null || raw === '') return opts.fallback
  if (!/^[0-9]{1,15}$/.test(raw)) throw bad('bad-query', `${name}: expected a whole number, got ${shown(raw)}`)
  const n = Number(raw)
  if (n < opts.min) throw bad('bad-query', `${name}: must be at least ${opts.min}, got ${n}`)
  if (n > opts.max) {
    if (opts.clamp === true) return opts.max
    throw bad('bad-query', `${name}: must be at most ${opts.max}, got ${n}`)
  }
  return n
}
