// The API against browsers and greedy clients (issue 16.9): cross-site
// requests refused, a Host allow-list whatever the bind address (DNS
// rebinding), IPv4-mapped loopback recognised, event-stream slots bounded
// per client address.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request, type ClientRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startApiServer, type ApiServer } from '../../src/api/server.js'
import { isLoopbackHost, loadConfig } from '../../src/node/config.js'
import { createLogger } from '../../src/telemetry/logger.js'
import { FakeNode } from '../support/fake-node.js'

interface Reply { status: number, body: string }

function send (port: number, path: string, headers: Record<string, string> = {}, opts: { method?: string, body?: string, localAddress?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers, localAddress: opts.localAddress }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** Opens an event stream; resolves with its status once headers arrive (the stream stays open). */
function openStream (port: number, localAddress?: string): Promise<{ status: number, req: ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/events', localAddress }, (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, req })
    })
    req.on('error', (err) => { if (!req.destroyed) reject(err) })
    req.end()
  })
}

const silent = createLogger({ write: () => {} })
let dir: string
const servers: ApiServer[] = []

async function start (host: string, extra: { allowedHosts?: string[] } = {}): Promise<ApiServer> {
  const server = await startApiServer({ node: new FakeNode(), host, port: 0, cookieFile: join(dir, `c${servers.length}`, '.cookie'), webDir: join(dir, 'web'), log: silent, ...extra })
  servers.push(server)
  return server
}

beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'minicoin-api-hardening-')) })
afterEach(async () => { for (const s of servers.splice(0)) await s.close() })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

describe('cross-site requests', () => {
  it('are refused whatever the endpoint; same-origin and non-browser requests are answered', async () => {
    const { port } = await start('127.0.0.1')
    const host = `127.0.0.1:${port}`
    // what a page on another site makes a browser send: <img src>, fetch, EventSource
    for (const site of ['cross-site', 'same-site']) {
      for (const path of ['/api/wallet', '/api/blocks?limit=100', '/api/events', '/metrics']) {
        const r = await send(port, path, { Host: host, 'Sec-Fetch-Site': site, 'Sec-Fetch-Mode': 'no-cors', 'Sec-Fetch-Dest': 'image' })
        expect(r.status, `${site} ${path}`).toBe(403)
        expect(JSON.parse(r.body).error.code).toBe('cross-site')
      }
    }
    // an older browser without Sec-Fetch-*: its Origin gives it away
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${port + 1}`, 'https://127.0.0.1']) {
      const r = await send(port, '/api/wallet/send', { Host: host, Origin: origin, 'Content-Type': 'application/json' }, { method: 'POST', body: '{}' })
      expect(r.status, origin).toBe(403)
    }
    // the dashboard itself (same origin), a typed URL, and tools without browser headers
    expect((await send(port, '/api/wallet', { Host: host, 'Sec-Fetch-Site': 'same-origin', Origin: `http://${host}` })).status).toBe(200)
    expect((await send(port, '/api/status', { Host: host, 'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'navigate' })).status).toBe(200)
    expect((await send(port, '/api/status', { Host: host })).status).toBe(200)
    // following a link to the dashboard from elsewhere opens it; the API stays closed to that page
    expect((await send(port, '/', { Host: host, 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' })).status).toBe(200)
    expect((await send(port, '/api/wallet', { Host: host, 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'iframe' })).status).toBe(403)
  })
})

describe('Host allow-list (DNS rebinding)', () => {
  it('holds on a server bound to 0.0.0.0: names must be localhost or in api.allowedHosts; IP literals pass', async () => {
    const { port } = await start('0.0.0.0', { allowedHosts: ['mynode.lan'] })
    // evil.example rebound to this machine: the browser sends its own name
    for (const name of ['evil.example', 'evil.example.', '127.0.0.1.nip.io', 'mynode.lan.evil.example']) {
      const r = await send(port, '/api/wallet', { Host: `${name}:${port}` })
      expect(r.status, name).toBe(403)
      expect(JSON.parse(r.body).error.code).toBe('forbidden-host')
    }
    for (const name of ['localhost', '127.0.0.1', '192.168.1.20', '[::1]', '[::ffff:127.0.0.1]', 'mynode.lan', 'MyNode.LAN.']) {
      expect((await send(port, '/api/wallet', { Host: `${name}:${port}` })).status, name).toBe(200)
    }
  })

  it('an allowed Host remembered from one request does not let another name through on the next', async () => {
    const { port } = await start('127.0.0.1')
    for (let i = 0; i < 3; i++) {
      expect((await send(port, '/api/wallet', { Host: `localhost:${port}` })).status).toBe(200)
      expect((await send(port, '/api/wallet', { Host: `evil.example:${port}` })).status).toBe(403)
      expect((await send(port, '/api/wallet', { Host: `localhost.evil.example:${port}` })).status).toBe(403)
    }
  })

  it('holds on a loopback-bound server too', async () => {
    const { port } = await start('127.0.0.1')
    expect((await send(port, '/api/wallet', { Host: `evil.example:${port}` })).status).toBe(403)
    expect((await send(port, '/api/wallet', { Host: `mynode.lan:${port}` })).status).toBe(403)
  })

  it('api.allowedHosts is read from the config and checked', async () => {
    const file = join(dir, 'hosts.json')
    await writeFile(file, JSON.stringify({ role: 'full', network: 'devnet', api: { host: '0.0.0.0', allowedHosts: ['MyNode.lan', 'node-1'] } }))
    expect(loadConfig(file).api.allowedHosts).toEqual(['mynode.lan', 'node-1'])
    await writeFile(file, JSON.stringify({ role: 'full', network: 'devnet', api: { allowedHosts: ['evil.example:80'] } }))
    expect(() => loadConfig(file)).toThrow(/api\.allowedHosts\[0\]: expected a host name/)
  })
})

describe('IPv4-mapped loopback', () => {
  it('::ffff:127.0.0.1 and its hex spelling are loopback; mapped LAN addresses are not', async () => {
    for (const h of ['::ffff:127.0.0.1', '::FFFF:127.1.2.3', '::ffff:7f00:1', '0:0:0:0:0:0:0:1', 'LOCALHOST']) expect(isLoopbackHost(h), h).toBe(true)
    for (const h of ['::ffff:192.168.1.2', '0.0.0.0', '::', 'example.com']) expect(isLoopbackHost(h), h).toBe(false)
    const file = join(dir, 'mapped.json')
    await writeFile(file, JSON.stringify({ role: 'full', network: 'devnet', api: { host: '::ffff:127.0.0.1' } }))
    expect(loadConfig(file).warnings).toEqual([])
  })
})

describe('event-stream slots', () => {
  it('one client address holds at most 8 streams; other clients still get theirs', async () => {
    const { port } = await start('127.0.0.1')
    const open: ClientRequest[] = []
    try {
      for (let i = 0; i < 8; i++) {
        const s = await openStream(port)
        expect(s.status).toBe(200)
        open.push(s.req)
      }
      const refused = await send(port, '/api/events')
      expect(refused.status).toBe(429)
      expect(JSON.parse(refused.body).error.code).toBe('too-many-streams')
      // another machine (here another loopback address) is not locked out
      const other = await openStream(port, '127.0.0.2')
      expect(other.status).toBe(200)
      open.push(other.req)
      // closing one frees that client's slot
      open.shift()!.destroy()
      const deadline = Date.now() + 10_000
      for (;;) {
        const s = await openStream(port)
        if (s.status === 200) { open.push(s.req); break }
        s.req.destroy()
        expect(s.status).toBe(429)
        if (Date.now() > deadline) throw new Error('the closed stream\'s slot was never freed')
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    } finally {
      for (const r of open) r.destroy()
    }
  })
})
