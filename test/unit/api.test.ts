import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { request, type IncomingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startApiServer, type ApiServer } from '../../src/api/server.js'
import { createLogger } from '../../src/telemetry/logger.js'
import { ApiError } from '../../src/api/api-error.js'
import { AddressError, decodeAddress } from '../../src/wallet/address.js'
import { testnet } from '../../src/core/params.js'
import { FakeNode, fakeAddress, fakeHash } from '../support/fake-node.js'
import { waitFor } from '../../bench/support/wait.js'

interface RawResponse { status: number, headers: IncomingHttpHeaders, body: string }

/** A request with the path sent exactly as given (fetch would normalise `..`). */
function raw (port: number, path: string, opts: { method?: string, headers?: Record<string, string>, body?: string | Buffer } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** An open SSE stream that collects what arrives. */
function openEvents (port: number): Promise<{ status: number, headers: IncomingHttpHeaders, text: () => string, close: () => void, closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/events' }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { text += c })
      const closed = new Promise<void>(resolve => res.once('close', () => resolve()))
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text: () => text, close: () => req.destroy(), closed })
    })
    req.on('error', (err) => { if (!req.destroyed) reject(err) })
    req.end()
  })
}

describe('HTTP API', () => {
  let dir: string
  let webDir: string
  let node: FakeNode
  let server: ApiServer
  let base: string
  const logLines: string[] = []
  const cookieFile = (): string => join(dir, 'data', '.cookie')

  const get = async (path: string): Promise<{ status: number, json: any, headers: Headers }> => {
    const res = await fetch(base + path)
    return { status: res.status, json: await res.json(), headers: res.headers }
  }
  const post = async (path: string, body: unknown, opts: { token?: string | null, contentType?: string } = {}): Promise<{ status: number, json: any }> => {
    const headers: Record<string, string> = { 'Content-Type': opts.contentType ?? 'application/json' }
    const token = opts.token === undefined ? server.token : opts.token
    if (token !== null) headers.Authorization = `Bearer ${token}`
    const res = await fetch(base + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
    return { status: res.status, json: await res.json() }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'minicoin-api-'))
    webDir = join(dir, 'web')
    await mkdir(join(webDir, 'assets', 'sub'), { recursive: true })
    await writeFile(join(webDir, 'index.html'), '<!doctype html><title>dash</title><script src="/assets/app.js"></script>')
    await writeFile(join(webDir, 'assets', 'app.js'), 'console.log("hi")')
    await writeFile(join(webDir, 'assets', 'style.css'), 'body{}')
    await writeFile(join(webDir, 'assets', 'sub', 'logo.svg'), '<svg/>')
    await writeFile(join(webDir, 'secret.txt'), 'SECRET-OUTSIDE-ASSETS')
    await writeFile(join(dir, 'secret.txt'), 'SECRET-OUTSIDE-WEB')
    await symlink(join(dir, 'secret.txt'), join(webDir, 'assets', 'link.txt'))
    node = new FakeNode()
    server = await startApiServer({
      node,
      host: '127.0.0.1',
      port: 0,
      cookieFile: cookieFile(),
      webDir,
      log: createLogger({ level: 'debug', pretty: false, write: (l) => logLines.push(l) }),
      maxEventClients: 2,
      heartbeatMs: 100
    })
    base = server.url
  })

  afterAll(async () => {
    await server?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('listens on an ephemeral loopback port and writes the token to the cookie file with mode 0600', async () => {
    expect(server.port).toBeGreaterThan(0)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
    expect(server.token).toMatch(/^[0-9a-f]{64}$/)
    expect((await readFile(cookieFile(), 'utf8')).trim()).toBe(server.token)
    expect((await stat(cookieFile())).mode & 0o777).toBe(0o600)
  })

  describe('read endpoints', () => {
    it('GET /api/status has the fields of DESIGN.md', async () => {
      const { status, json, headers } = await get('/api/status')
      expect(status).toBe(200)
      expect(headers.get('content-type')).toMatch(/^application\/json/)
      expect(headers.get('x-content-type-options')).toBe('nosniff')
      expect(json).toMatchObject({ role: 'miner', network: 'devnet', height: 12, peers: 2, mempool: 2, syncing: false })
      expect(json.peerId).toMatch(/^12D3/)
      expect(json.listen).toBeInstanceOf(Array)
      expect(json.tip).toMatch(/^[0-9a-f]{64}$/)
    })

    it('GET /api/blocks: newest first, limit default 20, clamped to 100, from', async () => {
      let r = await get('/api/blocks')
      expect(r.status).toBe(200)
      expect(r.json.map((b: any) => b.height)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
      expect(node.callsOf('blocks').at(-1)).toEqual([undefined, 20])
      // summaries: header, size and count, never the transactions
      expect(r.json[0]).toMatchObject({ height: 12, txCount: 2 })
      expect(r.json[0]).not.toHaveProperty('transactions')
      r = await get('/api/blocks?from=3&limit=2')
      expect(r.json.map((b: any) => b.height)).toEqual([3, 2])
      await get('/api/blocks?limit=5000')
      expect(node.callsOf('blocks').at(-1)).toEqual([undefined, 100])
      for (const q of ['limit=0', 'limit=abc', 'from=-1', 'limit=1.5', 'from=1e3']) {
        r = await get(`/api/blocks?${q}`)
        expect(r.status, q).toBe(400)
        expect(r.json.error.code).toBe('bad-query')
      }
    })

    it('GET /api/blocks/:hashOrHeight finds by height and by hash; unknown is 404, garbage 400', async () => {
      let r = await get('/api/blocks/3')
      expect(r.status).toBe(200)
      expect(r.json).toMatchObject({ height: 3, hash: fakeHash(3) })
      expect(r.json.transactions).toHaveLength(2)
      r = await get(`/api/blocks/${fakeHash(5).toUpperCase()}`)
      expect(r.json.height).toBe(5)
      r = await get('/api/blocks/999')
      expect(r.status).toBe(404)
      expect(r.json.error.code).toBe('not-found')
      r = await get(`/api/blocks/${'f'.repeat(64)}`)
      expect(r.status).toBe(404)
      r = await get('/api/blocks/xyz')
      expect(r.status).toBe(400)
      expect(r.json.error.code).toBe('bad-block-id')
    })

    it('GET /api/blocks/:id/txs pages a block\'s transactions; GET /api/headers lists headers only', async () => {
      let r = await get('/api/blocks/3/txs?offset=1&limit=1')
      expect(r.status).toBe(200)
      expect(r.json).toMatchObject({ height: 3, txCount: 2, offset: 1 })
      expect(r.json.transactions.map((t: any) => t.txid)).toEqual([fakeHash(31, 'cd')])
      expect(node.callsOf('blockTxs').at(-1)).toEqual(['3', 1, 1])
      await get('/api/blocks/3/txs?limit=5000')
      expect(node.callsOf('blockTxs').at(-1)).toEqual(['3', 0, 100])
      expect((await get('/api/blocks/999/txs')).status).toBe(404)
      expect((await get('/api/blocks/3/txs?offset=-1')).json.error.code).toBe('bad-query')
      r = await get('/api/headers?limit=3')
      expect(r.json.map((b: any) => b.height)).toEqual([12, 11, 10])
      expect(r.json[0]).not.toHaveProperty('txCount')
    })

    it('GET /api/tx/:txid', async () => {
      let r = await get(`/api/tx/${fakeHash(30, 'cd')}`)
      expect(r.status).toBe(200)
      expect(r.json).toMatchObject({ txid: fakeHash(30, 'cd'), block: { height: 3 } })
      r = await get(`/api/tx/${'1'.repeat(64)}`)
      expect(r.status).toBe(404)
      r = await get('/api/tx/1234')
      expect(r.status).toBe(400)
      expect(r.json.error.code).toBe('bad-txid')
    })

    it('GET /api/mempool, /api/peers, /api/tree', async () => {
      let r = await get('/api/mempool')
      expect(r.json).toHaveLength(2)
      expect(r.json[0]).toMatchObject({ confirmations: 0 })
      r = await get('/api/peers')
      expect(r.json[0]).toMatchObject({ direction: 'inbound' })
      r = await get('/api/tree?depth=3')
      expect(r.json.map((n: any) => n.height)).toEqual([10, 11, 12])
      r = await get('/api/tree')
      expect(node.callsOf('blockTree').at(-1)).toEqual([50])
      r = await get('/api/tree?depth=0')
      expect(r.status).toBe(400)
    })

    it('GET /api/wallet has addresses and a confirmed/pending balance as decimal strings', async () => {
      const r = await get('/api/wallet')
      expect(r.status).toBe(200)
      expect(r.json.addresses[0]).toMatch(/^mc1/)
      expect(r.json.balance).toMatchObject({ confirmed: '5000000000', pending: '0' })
    })

    it('GET /api/search', async () => {
      let r = await get('/api/search?q=3')
      expect(r.json).toEqual({ kind: 'block', id: fakeHash(3) })
      r = await get('/api/search?q=nothing')
      expect(r.status).toBe(404)
      r = await get('/api/search')
      expect(r.status).toBe(400)
      expect(r.json.error.message).toMatch(/^q:/)
    })

    it('GET /api/address/:address checks the address for the network', async () => {
      let r = await get(`/api/address/${fakeAddress(2)}`)
      expect(r.status).toBe(200)
      expect(r.json.address).toBe(fakeAddress(2))
      expect(r.json.transactions).toHaveLength(1)
      expect(node.callsOf('addressHistory').at(-1)).toEqual([fakeAddress(2), undefined, 25])
      await get(`/api/address/${fakeAddress(2)}?cursor=7-${'AB'.repeat(32)}&limit=1000`)
      expect(node.callsOf('addressHistory').at(-1)).toEqual([fakeAddress(2), `7-${'ab'.repeat(32)}`, 100])
      r = await get(`/api/address/${fakeAddress(2)}?cursor=nonsense`)
      expect(r.status).toBe(400)
      expect(r.json.error.code).toBe('bad-cursor')
      const testnetAddress = fakeAddress(2, testnet)
      r = await get(`/api/address/${testnetAddress}`)
      expect(r.status).toBe(400)
      expect(r.json.error.code).toBe('bad-address')
      let expected = ''
      try { decodeAddress(testnetAddress, node.params) } catch (err) { expected = (err as AddressError).message }
      expect(r.json.error.message).toContain(expected)
    })

    it('GET /metrics serves the node registry in the Prometheus text format', async () => {
      const res = await fetch(base + '/metrics')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe(node.metrics.registry.contentType)
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
      const text = await res.text()
      expect(text).toMatch(/^minicoin_chain_height 12$/m)
      expect(text).toContain('minicoin_blocks_total{result="accepted"} 0')
    })
  })

  describe('mutating endpoints', () => {
    const to = fakeAddress(9)

    it('checks a token without side effects at GET /api/auth', async () => {
      expect((await fetch(base + '/api/auth')).status).toBe(401)
      expect((await fetch(base + '/api/auth', { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401)
      const ok = await fetch(base + '/api/auth', { headers: { Authorization: `Bearer ${server.token}` } })
      expect(ok.status).toBe(200)
      expect(await ok.json()).toEqual({ ok: true })
    })

    it('refuse requests without the token or with a wrong one (401), before touching the node', async () => {
      const before = node.calls.length
      for (const [path, body] of [['/api/wallet/send', { to, amount: '1000' }], ['/api/wallet/address', {}], ['/api/tx', { hex: '00' }], ['/api/mining', { enabled: false }]] as const) {
        for (const token of [null, 'wrong', server.token.slice(0, -1) + (server.token.endsWith('0') ? '1' : '0'), '']) {
          const r = await post(path, body, { token })
          expect(r.status, `${path} ${String(token)}`).toBe(401)
          expect(r.json.error.code).toBe('unauthorized')
        }
      }
      const res = await fetch(base + '/api/wallet/address', { method: 'POST', headers: { Authorization: `Basic ${server.token}` } })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
      // the message says which: no token, not a Bearer header, or a wrong token
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not "Bearer <token>"/)
      expect((await post('/api/wallet/address', {}, { token: null })).json.error.message).toMatch(/needs the node's cookie token/)
      expect((await post('/api/wallet/address', {}, { token: 'ab'.repeat(32) })).json.error.message).toMatch(/^wrong token/)
      expect(node.calls.length).toBe(before)
    })

    it('POST /api/wallet/send builds and returns {txid, fee}; amounts reach the node as bigint', async () => {
      let r = await post('/api/wallet/send', { to, amount: '1000', fee: '10' })
      expect(r.status).toBe(200)
      expect(r.json).toEqual({ txid: fakeHash(7777, 'f0'), fee: '10' })
      expect(node.callsOf('send').at(-1)).toEqual([to, 1000n, 10n])
      r = await post('/api/wallet/send', { to, amount: 4000000000 })
      expect(r.status).toBe(200)
      expect(node.callsOf('send').at(-1)).toEqual([to, 4000000000n, undefined])
    })

    it.each([
      ['"1.5"', 'bad-amount', '1.5'],
      ['1.5', 'bad-amount', 1.5],
      ['"abc"', 'bad-amount', 'abc'],
      ['" 10"', 'bad-amount', ' 10'],
      ['"1e3"', 'bad-amount', '1e3'],
      ['true', 'bad-amount', true],
      ['null', 'bad-amount', null],
      ['an object', 'bad-amount', { value: 1 }],
      ['"-5"', 'amount-not-positive', '-5'],
      ['-5', 'amount-not-positive', -5],
      ['"0"', 'amount-not-positive', '0'],
      ['0', 'amount-not-positive', 0],
      ['MAX_MONEY + 1', 'amount-too-large', '2100000000000001'],
      ['1e30', 'amount-too-large', 1e30],
      ['a 1000-digit string', 'amount-too-large', '9'.repeat(1000)]
    ])('refuses amount %s with code %s', async (_label, code, amount) => {
      const r = await post('/api/wallet/send', { to, amount })
      expect(r.status).toBe(400)
      expect(r.json.error.code).toBe(code)
      expect(r.json.error.message).toMatch(/^amount/)
    })

    it('refuses bad fees, bad addresses, missing and unknown fields, naming the field', async () => {
      for (const fee of ['-1', 1.5, 'x', '2100000000000001']) {
        const r = await post('/api/wallet/send', { to, amount: '1000', fee })
        expect(r.status).toBe(400)
        expect(r.json.error.code).toBe('bad-fee')
      }
      let r = await post('/api/wallet/send', { amount: '1000' })
      expect(r.status).toBe(400)
      expect(r.json.error).toEqual({ code: 'missing-field', message: 'to: required' })
      r = await post('/api/wallet/send', { to })
      expect(r.json.error.code).toBe('missing-field')
      expect(r.json.error.message).toMatch(/^amount/)
      r = await post('/api/wallet/send', { to, amount: '1', memo: 'x' })
      expect(r.json.error.code).toBe('unknown-field')
      expect(r.json.error.message).toContain('memo')
      for (const bad of [to.slice(0, -1) + (to.endsWith('q') ? 'p' : 'q'), 'hello', fakeAddress(9, testnet), 42, '']) {
        r = await post('/api/wallet/send', { to: bad, amount: '1000' })
        expect(r.status).toBe(400)
        expect(r.json.error.code).toBe('bad-address')
        let expected = ''
        try { decodeAddress(bad, node.params) } catch (err) { expected = (err as AddressError).message }
        expect(r.json.error.message).toBe(`to: ${expected}`)
      }
    })

    it('passes the node\'s ApiError (e.g. insufficient funds) through with its status and code', async () => {
      const r = await post('/api/wallet/send', { to, amount: '6000000000' })
      expect(r.status).toBe(400)
      expect(r.json.error.code).toBe('insufficient-funds')
      node.failNext.send = new ApiError(409, 'conflict', 'busy')
      const r2 = await post('/api/wallet/send', { to, amount: '1' })
      expect(r2.status).toBe(409)
      expect(r2.json.error).toEqual({ code: 'conflict', message: 'busy' })
    })

    it('bodies: malformed JSON 400, not JSON 415, not an object 400, too large 413', async () => {
      let r = await post('/api/wallet/send', '{"to": ')
      expect(r.status).toBe(400)
      expect(r.json.error.code).toBe('bad-json')
      r = await post('/api/wallet/send', `to=${to}&amount=1`, { contentType: 'application/x-www-form-urlencoded' })
      expect(r.status).toBe(415)
      r = await post('/api/wallet/send', '[1,2]')
      expect(r.status).toBe(400)
      expect(r.json.error.code).toBe('bad-body')
      r = await post('/api/wallet/send', JSON.stringify({ to, amount: '1', pad: 'x'.repeat(70 * 1024) }))
      expect(r.status).toBe(413)
      expect(r.json.error.code).toBe('payload-too-large')
      // Without Content-Length (chunked), the limit still holds.
      const chunked = await raw(server.port, '/api/wallet/send', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}`, 'Transfer-Encoding': 'chunked' },
        body: JSON.stringify({ pad: 'y'.repeat(200 * 1024) })
      })
      expect(chunked.status).toBe(413)
      const r2 = await raw(server.port, '/api/wallet/send', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
        body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d])
      })
      expect(r2.status).toBe(400)
    })

    it('POST /api/wallet/address returns a new address', async () => {
      let r = await post('/api/wallet/address', '')
      expect(r.status).toBe(200)
      expect(r.json.address).toMatch(/^mc1/)
      r = await post('/api/wallet/address', {})
      expect(r.status).toBe(200)
      r = await post('/api/wallet/address', { label: 'x' })
      expect(r.status).toBe(400)
    })

    it('POST /api/tx submits hex bytes; the node\'s reject reason comes back as a 4xx', async () => {
      let r = await post('/api/tx', { hex: '0102AB' })
      expect(r.status).toBe(200)
      expect(r.json.txid).toMatch(/^[0-9a-f]{64}$/)
      expect(Array.from(node.callsOf('submitTx').at(-1)?.[0] as Uint8Array)).toEqual([1, 2, 0xab])
      r = await post('/api/tx', { hex: 'ff00' })
      expect(r.status).toBe(400)
      expect(r.json.error.code).toBe('tx-rejected')
      // a bad pair after good ones, a non-ASCII character, a sign: all refused whole
      for (const hex of ['abc', '', 'zz', '00zz', '0a0Z', 'a\u00e9', '+a0b', ' 0a0b', 12, null]) {
        r = await post('/api/tx', { hex })
        expect(r.status).toBe(400)
        expect(r.json.error.code).toBe('bad-hex')
      }
      // the route's quick path takes only {hex}; anything else is the schema's
      r = await post('/api/tx', { hex: '00', more: 1 })
      expect(r.json.error.code).toBe('unknown-field')
      r = await post('/api/tx', {})
      expect(r.json.error.code).toBe('missing-field')
      r = await post('/api/tx', ['00'])
      expect(r.json.error.code).toBe('bad-body')
      // A transaction bigger than the default body limit still fits this route.
      r = await post('/api/tx', { hex: '00'.repeat(50_000) })
      expect(r.status).toBe(200)
    })

    it('POST /api/mining toggles mining', async () => {
      let r = await post('/api/mining', { enabled: false })
      expect(r.status).toBe(200)
      expect(r.json).toEqual({ enabled: false })
      expect(node.miningOn).toBe(false)
      r = await post('/api/mining', { enabled: 'yes' })
      expect(r.status).toBe(400)
      expect(r.json.error.message).toMatch(/^enabled/)
      await post('/api/mining', { enabled: true })
      expect(node.miningOn).toBe(true)
    })
  })

  describe('errors', () => {
    it('unknown routes are 404, wrong methods 405 with Allow', async () => {
      let r = await raw(server.port, '/api/nope')
      expect(r.status).toBe(404)
      expect(JSON.parse(r.body).error.code).toBe('not-found')
      r = await raw(server.port, '/api/status', { method: 'POST' })
      expect(r.status).toBe(405)
      expect(r.headers.allow).toBe('GET')
      r = await raw(server.port, '/api/wallet/send')
      expect(r.status).toBe(405)
      expect(r.headers.allow).toBe('POST')
      r = await raw(server.port, '/', { method: 'DELETE' })
      expect(r.status).toBe(405)
      r = await raw(server.port, '/metrics', { method: 'PUT' })
      expect(r.status).toBe(405)
      r = await raw(server.port, '/api/blocks/%zz')
      expect(r.status).toBe(400)
    })

    it('an unexpected error is a generic 500; the stack goes to the log only', async () => {
      node.failNext.status = new Error('boom: secret detail')
      const res = await fetch(base + '/api/status')
      expect(res.status).toBe(500)
      const text = await res.text()
      expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal error; see the node log' } })
      expect(text).not.toContain('boom')
      expect(text).not.toContain('at ')
      expect(logLines.some(l => l.includes('boom: secret detail') && l.includes('"stack"'))).toBe(true)
      node.failNext.wallet = 'not even an Error'
      expect((await fetch(base + '/api/wallet')).status).toBe(500)
    })

    it('refuses requests addressed to a foreign host name (DNS rebinding)', async () => {
      const r = await raw(server.port, '/api/wallet', { headers: { Host: 'evil.example:80' } })
      expect(r.status).toBe(403)
      expect((await raw(server.port, '/api/status', { headers: { Host: `localhost:${server.port}` } })).status).toBe(200)
    })

    it('survives random garbage: raw bytes, odd paths, methods and headers', async () => {
      let seed = 12345
      const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n }
      const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => rand(256)))
      // Raw sockets: random bytes, half-valid request lines, absurd headers.
      const payloads: Buffer[] = [
        bytes(64), bytes(2000), Buffer.from('GET\r\n\r\n'), Buffer.from('GET / HTTP/9.9\r\n\r\n'),
        Buffer.from(`GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX: ${'a'.repeat(20000)}\r\n\r\n`),
        Buffer.from('POST /api/tx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999999999999999\r\n\r\n'),
        Buffer.from('POST /api/tx HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
        Buffer.concat([Buffer.from('GET /'), bytes(300), Buffer.from(' HTTP/1.1\r\n\r\n')])
      ]
      for (let i = 0; i < 20; i++) payloads.push(bytes(1 + rand(500)))
      for (const p of payloads) {
        await new Promise<void>((resolve) => {
          const s = connect(server.port, '127.0.0.1', () => { s.end(p) })
          s.on('data', () => {})
          s.on('error', () => resolve())
          s.on('close', () => resolve())
          s.setTimeout(5000, () => s.destroy())
        })
      }
      // Well-formed HTTP with hostile content.
      const methods = ['GET', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'HEAD', 'DELETE']
      const paths = ['/api/blocks/' + '9'.repeat(300), '/api/tx/%00', '/api/address/%ff%fe', '/assets/%00', '/api/blocks?limit=%ff',
        '/api/search?q=' + 'x'.repeat(5000), '/api//status', '/%2e%2e/%2e%2e/etc/passwd', '/api/events/../status', '/api/blocks?from=99999999999999999999']
      for (let i = 0; i < 30; i++) paths.push('/' + bytes(1 + rand(40)).toString('base64url'))
      for (const path of paths) {
        for (const method of methods.slice(0, 1 + rand(methods.length))) {
          const r = await raw(server.port, path, {
            method,
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
            body: method === 'GET' || method === 'HEAD' ? undefined : bytes(rand(300))
          })
          expect(r.status).toBeGreaterThanOrEqual(200)
          expect(r.status).not.toBe(500)
          if (r.body.length > 0 && r.headers['content-type']?.startsWith('application/json') === true) {
            const json = JSON.parse(r.body)
            if (r.status >= 400) expect(json.error.code).toBeTypeOf('string')
          }
        }
      }
      // Random JSON bodies on every POST endpoint.
      const values: unknown[] = [null, true, 0, -1, 1.5, 'x', '', [], {}, { to: [] }, '9'.repeat(50), { hex: {} }, { enabled: null }]
      for (const path of ['/api/wallet/send', '/api/wallet/address', '/api/tx', '/api/mining']) {
        for (const v of values) {
          const r = await post(path, JSON.stringify(v))
          expect([200, 400]).toContain(r.status)
        }
      }
      expect((await get('/api/status')).status).toBe(200)
    })
  })

  describe('dashboard files', () => {
    it('GET / serves index.html with a self-only CSP and nosniff', async () => {
      const res = await fetch(base + '/')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
      expect(res.headers.get('content-security-policy')).not.toMatch(/unsafe|\*/)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await res.text()).toContain('<title>dash</title>')
    })

    it('GET /assets/* serves files with their content types', async () => {
      for (const [path, type] of [['/assets/app.js', 'text/javascript'], ['/assets/style.css', 'text/css'], ['/assets/sub/logo.svg', 'image/svg+xml']]) {
        const res = await fetch(base + path)
        expect(res.status, path).toBe(200)
        expect(res.headers.get('content-type')).toContain(type)
        expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      }
      expect(await (await fetch(base + '/assets/app.js')).text()).toBe('console.log("hi")')
    })

    it('refuses traversal, encoded slashes, symlinks out, directories and missing files with 404', async () => {
      for (const path of ['/assets/../secret.txt', '/assets/%2e%2e/secret.txt', '/assets/..%2fsecret.txt', '/assets/..%5csecret.txt',
        '/assets/sub/../../secret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/assets/link.txt', '/assets/', '/assets/sub',
        '/assets/nope.js', '/assets/app.js%00.txt', '/assets//etc/passwd', '/secret.txt', '/index.html/../secret.txt', '/assets/.%2e/secret.txt']) {
        const r = await raw(server.port, path)
        expect(r.status, path).toBe(404)
        expect(r.body).not.toContain('SECRET')
      }
    })

    it('without a dashboard, GET / says so', async () => {
      const other = await startApiServer({ node, host: '127.0.0.1', port: 0, cookieFile: join(dir, 'other', '.cookie'), webDir: join(dir, 'no-such-dir'), log: createLogger({ write: () => {} }) })
      try {
        const res = await fetch(other.url + '/')
        expect(res.status).toBe(200)
        expect(await res.text()).toContain('dashboard is missing')
        expect((await fetch(other.url + '/assets/app.js')).status).toBe(404)
      } finally {
        await other.close()
      }
    })
  })

  describe('GET /api/events', () => {
    it('streams emitted events as JSON with heartbeats', async () => {
      const stream = await openEvents(server.port)
      try {
        expect(stream.status).toBe(200)
        expect(stream.headers['content-type']).toMatch(/^text\/event-stream/)
        await waitFor(() => stream.text().includes(': connected'), 'the connected comment', 10_000)
        const tip = node.chain[3]
        node.events.emit('tip', { ...tip, transactions: undefined } as any)
        node.events.emit('txRemoved', fakeHash(1, 'cd'), 'conflict')
        node.events.emit('peer', { type: 'connect', peerId: 'p1' })
        await waitFor(() => stream.text().includes('event: peer'), 'three events', 10_000)
        const events = stream.text().split('\n\n').filter(e => e.startsWith('event: ')).map(e => {
          const [name, data] = e.split('\n')
          return { name: name.slice('event: '.length), data: JSON.parse(data.slice('data: '.length)) }
        })
        expect(events[0]).toMatchObject({ name: 'tip', data: { hash: tip.hash, height: 3 } })
        expect(events[1]).toEqual({ name: 'txRemoved', data: { txid: fakeHash(1, 'cd'), reason: 'conflict' } })
        expect(events[2]).toEqual({ name: 'peer', data: { type: 'connect', peerId: 'p1' } })
        await waitFor(() => stream.text().includes(': heartbeat'), 'a heartbeat', 10_000)
      } finally {
        stream.close()
        await stream.closed
      }
    })

    it('bounds the number of clients and frees a slot when a client disconnects', async () => {
      const a = await openEvents(server.port)
      const b = await openEvents(server.port)
      try {
        const refused = await raw(server.port, '/api/events')
        expect(refused.status).toBe(503)
        expect(JSON.parse(refused.body).error.code).toBe('too-many-clients')
        a.close()
        await a.closed
        // The server notices the disconnect asynchronously.
        let c: Awaited<ReturnType<typeof openEvents>> | undefined
        await waitFor(async () => {
          const attempt = await openEvents(server.port)
          if (attempt.status === 200) { c = attempt; return true }
          return false
        }, 'a free slot', 10_000)
        c?.close()
      } finally {
        a.close()
        b.close()
      }
    })
  })

  it('close() ends streams, detaches from the node and removes the cookie', async () => {
    // a node of its own: streams of the other tests may still be closing on the shared one
    const own = new FakeNode()
    const other = await startApiServer({ node: own, host: '127.0.0.1', port: 0, cookieFile: join(dir, 'closing', '.cookie'), webDir, log: createLogger({ write: () => {} }) })
    // the server listens to the node only while a stream is open (views cost time to build)
    expect(own.events.listenerCount('tip')).toBe(0)
    const stream = await openEvents(other.port)
    await waitFor(() => stream.text().includes(': connected'), 'the connected comment', 10_000)
    expect(own.events.listenerCount('tip')).toBe(1)
    await other.close()
    await stream.closed
    expect(own.events.listenerCount('tip')).toBe(0)
    await expect(stat(join(dir, 'closing', '.cookie'))).rejects.toThrow()
    await other.close()
  })

  it('listens to the node while streams are open, and stops when the last client goes away', async () => {
    const own = new FakeNode()
    const other = await startApiServer({ node: own, host: '127.0.0.1', port: 0, cookieFile: join(dir, 'streams', '.cookie'), webDir, log: createLogger({ write: () => {} }) })
    try {
      const a = await openEvents(other.port)
      const b = await openEvents(other.port)
      await waitFor(() => a.text().includes(': connected') && b.text().includes(': connected'), 'both streams', 10_000)
      expect(own.events.listenerCount('tx')).toBe(1)
      a.close()
      await a.closed
      // b is still open: still listening, and b still gets events
      own.events.emit('txRemoved', 'ab'.repeat(32), 'expired')
      await waitFor(() => b.text().includes('event: txRemoved'), 'the event on the remaining stream', 10_000)
      expect(own.events.listenerCount('tx')).toBe(1)
      b.close()
      await waitFor(() => own.events.listenerCount('tx') === 0, 'the server to stop listening', 10_000)
    } finally {
      await other.close()
    }
  })

  it('a non-miner refuses POST /api/mining with 400', async () => {
    const spv = new FakeNode({ role: 'spv' })
    const other = await startApiServer({ node: spv, host: '127.0.0.1', port: 0, cookieFile: join(dir, 'spv', '.cookie'), webDir, log: createLogger({ write: () => {} }) })
    try {
      const res = await fetch(other.url + '/api/mining', { method: 'POST', headers: { Authorization: `Bearer ${other.token}`, 'Content-Type': 'application/json' }, body: '{"enabled":true}' })
      expect(res.status).toBe(400)
      expect(((await res.json()) as any).error.code).toBe('not-a-miner')
    } finally {
      await other.close()
    }
  })
})
