// The JSON API of DESIGN.md as a table: each route maps a method and a path
// pattern to a NodeApi call. Handlers return the JSON to send; `auth` routes
// (every POST) need the cookie token. Collections are JSON arrays, exactly
// what the NodeApi method returns.
import type { IncomingMessage } from 'node:http'
import type { NodeApi } from '../node/node-api.js'
import { ApiError } from './api-error.js'
import { DEFAULT_BODY_LIMIT, readJsonBody } from './body.js'
import {
  bodySchema, field, parseAddress, parseBlockId, parseBody, parseBoolean, parseFee, parseHash, parseHex, parseHistoryCursor, parsePaymentAmount, queryInt
} from './inputs.js'
import type { NetworkParams } from '../core/params.js'

export interface RouteContext {
  node: NodeApi
  req: IncomingMessage
  params: Record<string, string>
  query: URLSearchParams
  /** The JSON body (undefined when empty), read on demand within the route's size limit. */
  body: () => Promise<unknown>
}

export interface Route {
  method: 'GET' | 'POST'
  /** Segments starting with ':' capture one path segment. */
  pattern: string
  auth: boolean
  /** Body size limit in bytes for this route. */
  maxBody?: (node: NodeApi) => number
  handler: (ctx: RouteContext) => unknown
}

export const BLOCKS_DEFAULT_LIMIT = 20
export const BLOCKS_MAX_LIMIT = 100
export const HEADERS_DEFAULT_LIMIT = 100
export const HEADERS_MAX_LIMIT = 2000
export const TXS_DEFAULT_LIMIT = 25
export const TXS_MAX_LIMIT = 100
export const HISTORY_DEFAULT_LIMIT = 25
export const HISTORY_MAX_LIMIT = 100
export const TREE_DEFAULT_DEPTH = 50
export const TREE_MAX_DEPTH = 1000
const MAX_QUERY_LENGTH = 200

// ---- request bodies (one zod object each; fields checked by inputs.ts) ----------

const sendBody = (params: NetworkParams) => bodySchema({
  to: field(v => parseAddress(v, params, 'to'), { required: true }),
  amount: field(v => parsePaymentAmount(v), { required: true }),
  fee: field(v => v === undefined || v === null ? undefined : parseFee(v)),
  // force: accept a fee above the wallet's cap (1 MC), an explicit decision
  force: field(v => v === undefined ? false : parseBoolean(v, 'force'))
})
const emptyBody = bodySchema({})
const txBody = bodySchema({ hex: field(v => parseHex(v, 'hex'), { required: true }) })

/** A JSON object whose only key is "hex" (what txBody accepts, and parseHex then checks). */
function isOnlyHex (b: unknown): b is { hex: unknown } {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return false
  let keys = 0
  for (const k in b) if (++keys > 1 || k !== 'hex') return false
  return keys === 1
}
const miningBody = bodySchema({ enabled: field(v => parseBoolean(v, 'enabled'), { required: true }) })

function found<T> (value: T | undefined, what: string): T {
  if (value === undefined) throw new ApiError(404, 'not-found', what)
  return value
}

export const API_ROUTES: Route[] = [
  // lets the dashboard check a pasted token without side effects
  { method: 'GET', pattern: '/api/auth', auth: true, handler: () => ({ ok: true }) },
  { method: 'GET', pattern: '/api/status', auth: false, handler: ({ node }) => node.status() },
  {
    method: 'GET',
    pattern: '/api/blocks',
    auth: false,
    handler: ({ node, query }) => {
      const from = queryInt(query, 'from', { min: 0, max: 0xffffffff })
      const limit = queryInt(query, 'limit', { fallback: BLOCKS_DEFAULT_LIMIT, min: 1, max: BLOCKS_MAX_LIMIT, clamp: true }) as number
      return node.blocks(from, limit)
    }
  },
  {
    method: 'GET',
    pattern: '/api/headers',
    auth: false,
    handler: ({ node, query }) => {
      const from = queryInt(query, 'from', { min: 0, max: 0xffffffff })
      const limit = queryInt(query, 'limit', { fallback: HEADERS_DEFAULT_LIMIT, min: 1, max: HEADERS_MAX_LIMIT, clamp: true }) as number
      return node.headerList(from, limit)
    }
  },
  {
    method: 'GET',
    pattern: '/api/blocks/:id',
    auth: false,
    handler: async ({ node, params }) => found(await node.block(parseBlockId(params.id)), `no block ${params.id}`)
  },
  {
    method: 'GET',
    pattern: '/api/blocks/:id/txs',
    auth: false,
    handler: async ({ node, params, query }) => {
      const id = parseBlockId(params.id)
      const offset = queryInt(query, 'offset', { fallback: 0, min: 0, max: 0xffffffff }) as number
      const limit = queryInt(query, 'limit', { fallback: TXS_DEFAULT_LIMIT, min: 1, max: TXS_MAX_LIMIT, clamp: true }) as number
      return found(await node.blockTxs(id, offset, limit), `no block ${params.id}`)
    }
  },
  {
    method: 'GET',
    pattern: '/api/tx/:txid',
    auth: false,
    handler: ({ node, params }) => found(node.tx(parseHash(params.txid, 'txid')), `no transaction ${params.txid}`)
  },
  { method: 'GET', pattern: '/api/mempool', auth: false, handler: ({ node }) => node.mempool() },
  { method: 'GET', pattern: '/api/peers', auth: false, handler: ({ node }) => node.peers() },
  // the LAN as this node hears it: peers' claims, its address book, block arrivals per peer
  { method: 'GET', pattern: '/api/network', auth: false, handler: async ({ node }) => await node.network() },
  {
    method: 'GET',
    pattern: '/api/tree',
    auth: false,
    handler: ({ node, query }) => node.blockTree(queryInt(query, 'depth', { fallback: TREE_DEFAULT_DEPTH, min: 1, max: TREE_MAX_DEPTH, clamp: true }) as number)
  },
  {
    method: 'GET',
    pattern: '/api/search',
    auth: false,
    handler: ({ node, query }) => {
      const q = (query.get('q') ?? '').trim()
      if (q === '') throw new ApiError(400, 'bad-query', 'q: required (a height, block hash, txid or address)')
      if (q.length > MAX_QUERY_LENGTH) throw new ApiError(400, 'bad-query', `q: at most ${MAX_QUERY_LENGTH} characters`)
      return found(node.search(q), `nothing matches "${q}"`)
    }
  },
  {
    method: 'GET',
    pattern: '/api/address/:address',
    auth: false,
    handler: async ({ node, params, query }) => {
      const address = parseAddress(params.address, node.params)
      const cursor = parseHistoryCursor(query.get('cursor'))
      const limit = queryInt(query, 'limit', { fallback: HISTORY_DEFAULT_LIMIT, min: 1, max: HISTORY_MAX_LIMIT, clamp: true }) as number
      return await node.addressHistory(address, cursor, limit)
    }
  },
  { method: 'GET', pattern: '/api/wallet', auth: false, handler: async ({ node }) => await node.wallet() },
  {
    method: 'POST',
    pattern: '/api/wallet/send',
    auth: true,
    handler: async ({ node, body }) => {
      const { to, amount, fee, force } = parseBody(sendBody(node.params), await body())
      return await node.send(to, amount, fee, force ? { force } : undefined)
    }
  },
  {
    method: 'POST',
    pattern: '/api/wallet/address',
    auth: true,
    handler: async ({ node, body }) => {
      const b = await body()
      if (b !== undefined) parseBody(emptyBody, b)
      return { address: await node.newAddress() }
    }
  },
  {
    method: 'POST',
    pattern: '/api/tx',
    auth: true,
    // A transaction may be up to maxTxSize bytes: twice that in hex, plus the JSON around it.
    maxBody: (node) => Math.max(DEFAULT_BODY_LIMIT, 2 * node.params.maxTxSize + 1024),
    handler: async ({ node, body }) => {
      const b = await body()
      // The one field alone, as every client sends it, skips the schema
      // (a third of the route's own cost); anything else gets its errors.
      const hex = isOnlyHex(b) ? parseHex(b.hex, 'hex') : parseBody(txBody, b).hex
      return await node.submitTx(hex)
    }
  },
  {
    method: 'POST',
    pattern: '/api/mining',
    auth: true,
    handler: async ({ node, body }) => {
      const { enabled } = parseBody(miningBody, await body())
      if (node.mining === undefined) throw new ApiError(400, 'not-a-miner', `this node is a ${node.role} node; only a miner mines`)
      node.mining.setEnabled(enabled)
      return { enabled }
    }
  }
]

function decodeSegment (segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new ApiError(400, 'bad-path', 'the request path has a malformed %-escape')
  }
}

// Patterns split once, not on every request.
const segments = new WeakMap<Route, string[]>()
function segmentsOf (route: Route): string[] {
  let s = segments.get(route)
  if (s === undefined) segments.set(route, s = route.pattern.split('/'))
  return s
}

export interface RouteMatch { route: Route, params: Record<string, string> }

/** The route for a path and method; `allowed` lists the methods of a path that exists under another method. */
export function matchRoute (routes: readonly Route[], method: string, pathname: string): { match?: RouteMatch, allowed: string[] } {
  const exact = exactRoutes(routes).get(`${method} ${pathname}`)
  if (exact !== undefined) return { match: { route: exact, params: {} }, allowed: [] }
  return scanRoutes(routes, method, pathname)
}

// A path without ':' segments (POST /api/tx, GET /api/status, ...) is found in
// a map instead of by scanning the table: only where the scan would answer
// with that same route (no earlier pattern with a parameter also matches it).
const exactIndex = new WeakMap<readonly Route[], Map<string, Route>>()
function exactRoutes (routes: readonly Route[]): Map<string, Route> {
  let index = exactIndex.get(routes)
  if (index === undefined) {
    index = new Map()
    for (const route of routes) {
      if (route.pattern.includes(':')) continue
      if (scanRoutes(routes, route.method, route.pattern).match?.route === route) index.set(`${route.method} ${route.pattern}`, route)
    }
    exactIndex.set(routes, index)
  }
  return index
}

/** The table in order: the first pattern and method that fit. */
export function scanRoutes (routes: readonly Route[], method: string, pathname: string): { match?: RouteMatch, allowed: string[] } {
  const parts = pathname.split('/')
  const allowed: string[] = []
  for (const route of routes) {
    const pattern = segmentsOf(route)
    if (pattern.length !== parts.length) continue
    const params: Record<string, string> = {}
    let ok = true
    for (let i = 0; i < pattern.length && ok; i++) {
      if (pattern[i].startsWith(':')) {
        if (parts[i] === '') ok = false
        else params[pattern[i].slice(1)] = decodeSegment(parts[i])
      } else if (pattern[i] !== parts[i]) {
        ok = false
      }
    }
    if (!ok) continue
    if (route.method === method) return { match: { route, params }, allowed }
    allowed.push(route.method)
  }
  return { allowed }
}

export function readBodyFor (route: Route, node: NodeApi, req: IncomingMessage): () => Promise<unknown> {
  let read: Promise<unknown> | undefined
  return async () => await (read ??= readJsonBody(req, route.maxBody?.(node) ?? DEFAULT_BODY_LIMIT))
}
