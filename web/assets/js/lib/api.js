// The node's JSON API. Reads are plain GETs; every POST carries the token
// (Authorization: Bearer, never in a URL). Failures become ApiFailure with
// the API's {error:{code,message}}.
import { getToken } from './token.js'

export class ApiFailure extends Error {
  constructor (status, code, message) {
    super(message)
    this.name = 'ApiFailure'
    this.status = status
    this.code = code
  }
}

const TIMEOUT_MS = 15000

async function call (method, path, body, { auth = false, token } = {}) {
  const headers = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (auth) {
    const t = token ?? getToken()
    if (t === null || t === '') throw new ApiFailure(401, 'no-token', 'this action needs the node\'s API token: unlock the dashboard first')
    headers.Authorization = `Bearer ${t}`
  }
  const ctrl = new AbortController()
  const timer = setTimeout(() => ctrl.abort(), TIMEOUT_MS)
  let res
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit', signal: ctrl.signal })
  } catch (err) {
    throw new ApiFailure(0, 'unreachable', ctrl.signal.aborted ? 'the node did not answer in time' : 'cannot reach the node (is it running?)')
  } finally {
    clearTimeout(timer)
  }
  let data = null
  const text = await res.text().catch(() => '')
  try {
    data = text === '' ? null : JSON.parse(text)
  } catch {
    data = null
  }
  if (!res.ok) {
    const e = data !== null && typeof data === 'object' ? data.error : undefined
    const code = typeof e?.code === 'string' ? e.code : `http-${res.status}`
    const message = typeof e?.message === 'string' ? e.message : `the node answered ${res.status} ${res.statusText}`
    throw new ApiFailure(res.status, code, message)
  }
  return data
}

export const api = {
  status: () => call('GET', '/api/status'),
  /** Block summaries (header, size, transaction count), newest first. */
  blocks: (limit = 12, from) => call('GET', `/api/blocks?limit=${limit}${from === undefined ? '' : `&from=${from}`}`),
  /** Headers only, newest first: what the chart needs, at no cost to the node. */
  headers: (limit = 100, from) => call('GET', `/api/headers?limit=${limit}${from === undefined ? '' : `&from=${from}`}`),
  /** A block's summary and the first page of its transactions (nextTxOffset when there are more). */
  block: (id) => call('GET', `/api/blocks/${encodeURIComponent(id)}`),
  /** The next page of a block's transactions. */
  blockTxs: (id, offset, limit = 25) => call('GET', `/api/blocks/${encodeURIComponent(id)}/txs?offset=${offset}&limit=${limit}`),
  tx: (txid) => call('GET', `/api/tx/${encodeURIComponent(txid)}`),
  mempool: () => call('GET', '/api/mempool'),
  peers: () => call('GET', '/api/peers'),
  /** The LAN as the node hears it: peers' claims, its address book, block arrivals per peer. */
  network: () => call('GET', '/api/network'),
  wallet: () => call('GET', '/api/wallet'),
  tree: (depth) => call('GET', `/api/tree?depth=${depth}`),
  search: (q) => call('GET', `/api/search?q=${encodeURIComponent(q)}`),
  /** One page of an address's history, newest first; `next` is the cursor of the following page. */
  address: (addr, cursor) => call('GET', `/api/address/${encodeURIComponent(addr)}${cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`}`),
  send: (to, amount, fee) => call('POST', '/api/wallet/send', fee === undefined ? { to, amount } : { to, amount, fee }, { auth: true }),
  newAddress: () => call('POST', '/api/wallet/address', {}, { auth: true }),
  setMining: (enabled) => call('POST', '/api/mining', { enabled }, { auth: true }),
  /**
   * Whether a token is accepted, without changing anything: POST /api/mining
   * with an empty body is refused for the missing field (400) after the token
   * check (401), on every role.
   */
  async checkToken (token) {
    try {
      await call('GET', '/api/auth', undefined, { auth: true, token })
      return true
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401) return false
      throw err
    }
  }}
