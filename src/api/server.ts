// The node's HTTP server (node:http): JSON API, Server-Sent Events,
// Prometheus metrics and the dashboard's files. Every request ends in a
// response or a closed socket, never in a crash: handlers' errors become
// {"error":{"code","message"}} and unexpected ones are logged with their
// stack, which the client never sees.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isIP } from 'node:net'
import type { NodeApi } from '../node/node-api.js'
import type { Logger } from '../telemetry/logger.js'
import { isLoopbackHost } from '../node/config.js'
import { authProblem, newToken, removeCookie, writeCookie } from './auth.js'
import { EventStream } from './event-stream.js'
import { API_ROUTES, matchRoute, readBodyFor } from './routes.js'
import { canRespond, errorResponse, sendError, sendJson, setCommonHeaders } from './respond.js'
import { serveAsset, serveIndex, serveVendor } from './static-files.js'

export interface ApiServerOptions {
  node: NodeApi
  host: string
  /** 0 = ephemeral. */
  port: number
  /** Where the fresh token is written (mode 0600), normally <dataDir>/.cookie. */
  cookieFile: string
  /** Folder with index.html and assets/. */
  webDir: string
  log: Logger
  /** Host names (besides localhost and IP addresses) requests may address the API by (config api.allowedHosts). */
  allowedHosts?: readonly string[]
  maxEventClients?: number
  /** Event streams one client address may hold open. */
  maxEventClientsPerAddress?: number
  heartbeatMs?: number
}

export interface ApiServer {
  /** Base URL a local client uses, e.g. http://127.0.0.1:8101 */
  url: string
  port: number
  token: string
  close: () => Promise<void>
}

// Requests in flight get this long to finish when the server closes.
const CLOSE_GRACE_MS = 2000

function urlHost (host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return isIP(host) === 6 ? `[${host}]` : host
}

function hostnameOf (hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']'))
  return hostHeader.split(':')[0]
}

// DNS rebinding: a web page on evil.example whose name is made to resolve
// to this machine could otherwise read the API from a victim's browser, as
// same-origin. The browser sends the name it used as Host, so whatever the
// bind address, only names on an allow-list are answered: localhost, the
// operator's api.allowedHosts, and IP literals (an IP is not a name an
// attacker controls, so it cannot be rebound). Clients without a Host
// header are not browsers.
function hostAllowed (req: IncomingMessage, allowedHosts: ReadonlySet<string>): boolean {
  const host = req.headers.host
  if (host === undefined) return true
  const name = hostnameOf(host).toLowerCase().replace(/\.$/, '')
  return isIP(name) !== 0 || isLoopbackHost(name) || allowedHosts.has(name)
}

// A client sends the same Host on every request: the last one allowed is
// remembered (one string, the answer depends on nothing else).
function hostCheck (allowedHosts: ReadonlySet<string>): (req: IncomingMessage) => boolean {
  let lastAllowed: string | undefined
  return req => {
    const host = req.headers.host
    if (host !== undefined && host === lastAllowed) return true
    const ok = hostAllowed(req, allowedHosts)
    if (ok && host !== undefined) lastAllowed = host
    return ok
  }
}

// Cross-site requests: the dashboard is served by this origin, so the API
// answers only same-origin browser requests. Browsers say where a request
// comes from in Sec-Fetch-Site (all current ones) and Origin (on POSTs and
// cross-origin fetches); tools such as curl and the CLI send neither. The one
// cross-site request allowed is a top-level navigation to the dashboard
// itself (a link to it), which runs nothing on the node.
function crossSiteRefusal (req: IncomingMessage, pathname: string): string | undefined {
  const site = req.headers['sec-fetch-site']
  const navigation = req.headers['sec-fetch-mode'] === 'navigate' && req.headers['sec-fetch-dest'] === 'document' && req.method === 'GET' && pathname === '/'
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none' && !navigation) return `a ${site === 'same-site' ? 'same-site' : 'cross-site'} request (only this node's own dashboard may use its API)`
  const origin = req.headers.origin
  if (typeof origin === 'string' && !navigation) {
    let originHost: string
    try {
      const url = new URL(origin)
      if (url.protocol !== 'http:') return `a request from origin ${origin}`
      originHost = url.host.toLowerCase()
    } catch {
      return `a request from origin ${origin.slice(0, 100)}`
    }
    if (originHost !== (req.headers.host ?? '').toLowerCase()) return `a request from origin ${origin.slice(0, 100)}`
  }
  return undefined
}

/** A client's address for per-client limits: IPv4-mapped IPv6 counts as the IPv4 address. */
function clientAddress (req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? ''
  return a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a
}

// A plain path (letters, digits, '/', '-', '_', no dot segment, no query)
// is its own pathname: most API requests, e.g. POST /api/tx, skip the URL
// parser. Anything else goes through it, as before.
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_-]*)+$/

function parseTarget (rawUrl: string): { pathname: string, searchParams: URLSearchParams } | undefined {
  if (PLAIN_PATH.test(rawUrl)) return { pathname: rawUrl, searchParams: new URLSearchParams() }
  try {
    return new URL(`http://localhost${rawUrl}`)
  } catch {
    return undefined
  }
}

type PageHandler = (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void> | void

export async function startApiServer (opts: ApiServerOptions): Promise<ApiServer> {
  const { node, log } = opts
  const token = newToken()
  const events = new EventStream(node.events, { log, maxClients: opts.maxEventClients, maxClientsPerAddress: opts.maxEventClientsPerAddress, heartbeatMs: opts.heartbeatMs })
  const allowedHosts = new Set((opts.allowedHosts ?? []).map(h => h.toLowerCase()))
  const hostOk = hostCheck(allowedHosts)

  // Non-JSON endpoints: GET only, each writes its own response.
  const pages: Array<{ matches: (path: string) => boolean, handler: PageHandler }> = [
    {
      matches: p => p === '/metrics',
      handler: async (_req, res) => {
        const text = await node.metrics.registry.metrics()
        res.statusCode = 200
        res.setHeader('Content-Type', node.metrics.registry.contentType)
        res.setHeader('Cache-Control', 'no-store')
        res.end(text)
      }
    },
    {
      matches: p => p === '/api/events',
      handler: (req, res) => {
        const client = clientAddress(req)
        if (events.full) return sendError(res, 503, 'too-many-clients', 'too many open event streams; try again later', { 'Retry-After': '10' })
        if (events.fullFor(client)) return sendError(res, 429, 'too-many-streams', 'this client already holds the most event streams allowed; close one first', { 'Retry-After': '10' })
        events.accept(req, res, client)
      }
    },
    { matches: p => p === '/', handler: async (_req, res) => await serveIndex(res, opts.webDir) },
    { matches: p => p.startsWith('/assets/'), handler: async (_req, res, p) => await serveAsset(res, opts.webDir, p.slice('/assets/'.length)) },
    { matches: p => p.startsWith('/vendor/'), handler: async (_req, res, p) => await serveVendor(res, p.slice('/vendor/'.length)) }
  ]

  // JSON responses (sendJson, sendError) carry the common headers themselves;
  // pages write their own responses and get them here.
  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? ''
    const rawUrl = req.url ?? ''
    if (!rawUrl.startsWith('/')) return sendError(res, 400, 'bad-request', 'the request target must be a path')
    if (!hostOk(req)) return sendError(res, 403, 'forbidden-host', 'this API answers requests addressed to localhost, an IP address or a name in api.allowedHosts only')
    const url = parseTarget(rawUrl)
    if (url === undefined) return sendError(res, 400, 'bad-request', 'malformed request path')
    const pathname = url.pathname
    const crossSite = crossSiteRefusal(req, pathname)
    if (crossSite !== undefined) return sendError(res, 403, 'cross-site', `refused ${crossSite}`)

    const page = pages.find(p => p.matches(pathname))
    if (page !== undefined) {
      if (method !== 'GET') return sendError(res, 405, 'method-not-allowed', `${method} is not allowed here; use GET`, { Allow: 'GET' })
      setCommonHeaders(res)
      return await page.handler(req, res, pathname)
    }

    const { match, allowed } = matchRoute(API_ROUTES, method, pathname)
    if (match === undefined) {
      if (allowed.length > 0) return sendError(res, 405, 'method-not-allowed', `${method} is not allowed here; use ${allowed.join(' or ')}`, { Allow: allowed.join(', ') })
      return sendError(res, 404, 'not-found', `no such endpoint: ${pathname}`)
    }
    const { route, params } = match
    const denied = route.auth ? authProblem(req, token) : undefined
    if (denied !== undefined) {
      return sendError(res, 401, 'unauthorized', denied, { 'WWW-Authenticate': 'Bearer' })
    }
    const result = await route.handler({ node, req, params, query: url.searchParams, body: readBodyFor(route, node, req) })
    sendJson(res, 200, result)
  }

  const server = createServer((req, res) => {
    const started = Date.now()
    const logged = (): void => log.debug('request', { method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - started })
    handle(req, res).then(logged, (err: unknown) => {
      try {
        const { status, body, internal } = errorResponse(err)
        if (internal) log.error('API request failed', { method: req.method, url: req.url, err, stack: (err as Error)?.stack })
        if (!canRespond(req, res)) {
          res.destroy()
          return
        }
        // The body may still be arriving: close the connection rather than read it.
        if (status === 413) res.setHeader('Connection', 'close')
        sendJson(res, status, body)
      } finally {
        logged()
      }
    })
  })
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  server.maxConnections = 512
  server.on('clientError', (err, socket) => {
    log.debug('bad HTTP request', { err })
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    else socket.destroy()
  })

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      events.close()
      const why = err.code === 'EADDRINUSE' ? 'the port is in use (another node running?)' : err.code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : err.message
      reject(new Error(`cannot start the API on ${opts.host}:${opts.port}: ${why}`, { cause: err }))
    }
    server.once('error', onError)
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError)
      resolve()
    })
  })
  server.on('error', (err) => log.error('API server error', { err }))

  const port = (server.address() as AddressInfo).port
  try {
    await writeCookie(opts.cookieFile, token)
  } catch (err) {
    events.close()
    server.close()
    throw new Error(`cannot write the API cookie ${opts.cookieFile}: ${(err as Error).message}`, { cause: err })
  }

  let closing: Promise<void> | undefined
  const close = async (): Promise<void> => {
    closing ??= (async () => {
      events.close()
      const closed = new Promise<void>(resolve => server.close(() => resolve()))
      server.closeIdleConnections()
      const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS)
      await closed
      clearTimeout(force)
      await removeCookie(opts.cookieFile, token)
    })()
    await closing
  }

  return { url: `http://${urlHost(opts.host)}:${port}`, port, token, close }
}
