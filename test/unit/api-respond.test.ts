import { afterEach, describe, expect, it } from 'vitest'
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sendError, sendJson, setCommonHeaders } from '../../src/api/respond.js'
import { API_ROUTES, matchRoute, scanRoutes } from '../../src/api/routes.js'

interface Reply { status: number, headers: IncomingHttpHeaders, rawHeaders: string[], body: string }

let server: Server | undefined
afterEach(async () => { await new Promise<void>(resolve => server === undefined ? resolve() : server.close(() => resolve())); server = undefined })

/** One request to a server whose handler is `handler`. */
async function reply (handler: Parameters<typeof createServer>[1]): Promise<Reply> {
  server = createServer(handler)
  await new Promise<void>(resolve => server?.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return await new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/' }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body }))
    }).on('error', reject).end()
  })
}

const count = (r: Reply, name: string): number => r.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === name).length

describe('sendJson', () => {
  it('writes the JSON with its type, length, no-store and the common headers, each once', async () => {
    const r = await reply((_req, res) => sendJson(res, 200, { txid: 'ab', n: 1 }))
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toEqual({ txid: 'ab', n: 1 })
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(r.headers['content-length']).toBe(String(Buffer.byteLength(r.body)))
    expect(r.headers['cache-control']).toBe('no-store')
    expect(r.headers['x-content-type-options']).toBe('nosniff')
    expect(r.headers['referrer-policy']).toBe('no-referrer')
    for (const name of ['content-type', 'content-length', 'cache-control', 'x-content-type-options', 'referrer-policy']) expect(count(r, name), name).toBe(1)
  })

  it('keeps headers set before it (an error\'s Allow, a page\'s common headers) without doubling any', async () => {
    const r = await reply((_req, res) => {
      setCommonHeaders(res)
      res.setHeader('Connection', 'close')
      sendError(res, 405, 'method-not-allowed', 'no', { Allow: 'GET' })
    })
    expect(r.status).toBe(405)
    expect(JSON.parse(r.body)).toEqual({ error: { code: 'method-not-allowed', message: 'no' } })
    expect(r.headers.allow).toBe('GET')
    expect(r.headers.connection).toBe('close')
    for (const name of ['allow', 'x-content-type-options', 'referrer-policy', 'content-type']) expect(count(r, name), name).toBe(1)
  })

  it('writes a bigint as a decimal string, at any depth, and multi-byte text with its byte length', async () => {
    const r = await reply((_req, res) => sendJson(res, 200, { a: 10n ** 20n, list: [{ b: -3n }], s: 'münze €' }))
    expect(JSON.parse(r.body)).toEqual({ a: '100000000000000000000', list: [{ b: '-3' }], s: 'münze €' })
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body))
  })

  it('a body JSON cannot hold (a cycle) is an error, not a response', async () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    let thrown: unknown
    const r = await reply((_req, res) => {
      try { sendJson(res, 200, cyclic) } catch (err) { thrown = err; res.statusCode = 500; res.end() }
    })
    expect(r.status).toBe(500)
    expect(thrown).toBeInstanceOf(TypeError)
  })
})

describe('matchRoute', () => {
  it('answers as scanning the table in order does, for every route\'s path under every method and for near misses', () => {
    const paths = new Set<string>(['/', '/api', '/api/', '/api/tx/', '/api/tx/x', '/api/blocks/12', '/api/blocks/%zz', '/api/nope', '//api/tx'])
    for (const r of API_ROUTES) {
      paths.add(r.pattern)
      paths.add(r.pattern.replace(/:[a-z]+/gi, 'abc'))
      paths.add(r.pattern + '/')
      paths.add(r.pattern.toUpperCase())
    }
    let exact = 0
    for (const path of paths) {
      for (const method of ['GET', 'POST', 'PUT']) {
        let scanned: unknown
        let matched: unknown
        try { scanned = scanRoutes(API_ROUTES, method, path) } catch (err) { scanned = (err as Error).message }
        try { matched = matchRoute(API_ROUTES, method, path) } catch (err) { matched = (err as Error).message }
        const s = scanned as { match?: { route: unknown, params: unknown } }
        const m = matched as { match?: { route: unknown, params: unknown } }
        if (typeof scanned === 'string' || s.match === undefined) { expect(matched, `${method} ${path}`).toEqual(scanned); continue }
        exact++
        expect(m.match?.route, `${method} ${path}`).toBe(s.match.route)
        expect(m.match?.params, `${method} ${path}`).toEqual(s.match.params)
      }
    }
    expect(exact).toBeGreaterThan(API_ROUTES.length / 2)
  })
})
