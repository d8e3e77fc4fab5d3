// The real `minicoin` command end to end: daemons from JSON configs, their
// HTTP API and metrics, errors for bad input, and crash recovery.
import { afterEach, describe, expect, it } from 'vitest'
import { execFileSync, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Cleanup } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import { dialAddress, readyDaemon, run, startDaemon, writeConfig } from '../../bench/support/daemons.js'
import { hasPromtool } from '../support/requirements.js'
import type { BlockView, StatusView, WalletView } from '../../src/node/node-api.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

async function raw (url: string, init: RequestInit = {}): Promise<{ status: number, body: { error?: { code: string, message: string } } & Record<string, unknown> }> {
  const res = await fetch(url, init)
  const text = await res.text()
  return { status: res.status, body: text === '' ? {} : JSON.parse(text) }
}

describe('minicoin node', () => {
  it('refuses a bad config naming the file and the key, without a stack trace', () => {
    const dir = cleanup.tempDir()
    const file = join(dir, 'bad.json')
    writeFileSync(file, JSON.stringify({ role: 'full', network: 'regtest', p2p: { port: 70000 } }))
    const r = spawnSync(process.execPath, ['bin/minicoin.js', 'node', '--config', file], { encoding: 'utf8' })
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain(file)
    expect(r.stderr).toContain('p2p.port')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    writeFileSync(file, JSON.stringify({ role: 'full', network: 'regtest', colour: 'blue' }))
    const unknown = spawnSync(process.execPath, ['bin/minicoin.js', 'node', '--config', file], { encoding: 'utf8' })
    expect(unknown.status).not.toBe(0)
    expect(unknown.stderr).toContain('colour')
  })

  it('serves the API contract: cookie for mutations, 4xx for bad bodies, the metric names', async () => {
    const node = await startDaemon(cleanup, 'miner')
    const base = node.info.api
    const status = await node.api.get<StatusView>('/api/status')
    expect(status).toMatchObject({ role: 'miner', network: 'regtest', height: 0, peers: 0, mempool: 0, syncing: false })
    expect(status.listen[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3/)

    const post = async (path: string, body: string, token?: string): Promise<Awaited<ReturnType<typeof raw>>> =>
      await raw(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(token !== undefined ? { Authorization: `Bearer ${token}` } : {}) }, body })
    const token = (node.api as unknown as { token: string }).token
    const wallet = await node.api.get<WalletView>('/api/wallet')
    const to = wallet.addresses[0]

    expect((await post('/api/wallet/send', JSON.stringify({ to, amount: '1000' }))).status).toBe(401)
    expect((await post('/api/wallet/send', JSON.stringify({ to, amount: '1000' }), 'wrong')).status).toBe(401)
    const malformed = await post('/api/wallet/send', '{"to":', token)
    expect(malformed.status).toBe(400)
    expect(malformed.body.error?.code).toBeDefined()
    for (const amount of ['1.5', '-3', '0', '99999999999999999999', 'ten']) {
      const r = await post('/api/wallet/send', JSON.stringify({ to, amount }), token)
      expect(r.status, `amount ${amount}`).toBe(400)
    }
    const badAddress = await post('/api/wallet/send', JSON.stringify({ to: to.slice(0, -1) + (to.endsWith('q') ? 'p' : 'q'), amount: '1000' }), token)
    expect(badAddress.status).toBe(400)
    expect(badAddress.body.error?.message).toMatch(/checksum/)
    // no coins yet: a clear error, not a crash
    const broke = await post('/api/wallet/send', JSON.stringify({ to, amount: '1000' }), token)
    expect(broke.status).toBe(400)
    expect(broke.body.error?.code).toBe('insufficient-funds')
    expect((await raw(base + '/api/blocks/' + 'ff'.repeat(32))).status).toBe(404)
    expect((await raw(base + '/api/tx/nothex')).status).toBe(400)
    expect((await post('/api/tx', JSON.stringify({ hex: '0a0b0c' }), token)).status).toBe(400)

    // mine a little, then pay ourselves through the API
    expect((await post('/api/mining', JSON.stringify({ enabled: true }), token)).status).toBe(200)
    await waitFor(async () => (await node.api.get<StatusView>('/api/status')).height >= 6, 'regtest blocks')
    await post('/api/mining', JSON.stringify({ enabled: false }), token)
    // block summaries, newest first; a single block brings its first page of transactions
    const blocks = await node.api.get<BlockView[]>('/api/blocks?limit=3')
    expect(blocks.map(b => b.height)).toEqual([blocks[0].height, blocks[0].height - 1, blocks[0].height - 2])
    expect(blocks[0].txCount).toBeGreaterThanOrEqual(1)
    expect(blocks[0].transactions).toBeUndefined()
    const one = await node.api.get<BlockView>(`/api/blocks/${blocks[1].hash}`)
    expect(one.transactions?.[0].coinbase).toBe(true)
    expect(one.height).toBe(blocks[1].height)
    expect(one.transactions?.[0].outputs[0].amount).toMatch(/^\d+$/)
    const sent = await post('/api/wallet/send', JSON.stringify({ to, amount: '1000', fee: '500' }), token)
    expect(sent.status).toBe(200)
    expect(sent.body.txid).toMatch(/^[0-9a-f]{64}$/)

    const metrics = await (await fetch(base + '/metrics')).text()
    for (const name of ['minicoin_chain_height', 'minicoin_peers', 'minicoin_mempool_transactions', 'minicoin_blocks_total', 'minicoin_transactions_total', 'minicoin_gossip_messages_total', 'minicoin_spv_proofs_verified_total']) {
      expect(metrics).toContain(name)
    }
    expect(metrics).toMatch(/libp2p_/)
  })

  it.skipIf(!hasPromtool())('exposes metrics that promtool accepts (needs promtool from Debian prometheus)', async () => {
    const node = await startDaemon(cleanup, 'full')
    const metrics = await (await fetch(node.info.api + '/metrics')).text()
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' })
    // 0: clean; 3: lint warnings only (libp2p names some gauges *_total)
    expect([0, 3], promtool.stdout + promtool.stderr).toContain(promtool.status)
  })

  it('survives kill -9 of a full node: it restarts from its data dir and rejoins the tip', async () => {
    const miner = await startDaemon(cleanup, 'miner')
    const dir = cleanup.tempDir()
    const config = writeConfig(dir, 'full', { p2p: { host: '127.0.0.1', port: 0, bootstrap: [dialAddress(miner)], mdns: false } })
    const dataDir = join(dir, 'data')
    let full = await readyDaemon(run(['node', '--config', config], cleanup), dataDir)
    // regtest mines as fast as the CPU allows: mine in bounded bursts
    const mine = async (blocks: number): Promise<void> => {
      const start = (await miner.api.get<StatusView>('/api/status')).height
      await miner.api.post('/api/mining', { enabled: true })
      await waitFor(async () => (await miner.api.get<StatusView>('/api/status')).height >= start + blocks, `${blocks} blocks`)
      await miner.api.post('/api/mining', { enabled: false })
    }
    await mine(30)
    await waitFor(async () => (await full.api.get<StatusView>('/api/status')).height >= 30, 'the full node to follow the miner')
    const before = (await full.api.get<StatusView>('/api/status')).height

    full.proc.signal('SIGKILL')
    const exit = await full.proc.exited
    expect(exit.signal).toBe('SIGKILL')
    await mine(20) // the network moves on while the node is down

    full = await readyDaemon(run(['node', '--config', config], cleanup), dataDir)
    // it resumes from disk (no resync from genesis) ...
    const resumed = await full.api.get<StatusView>('/api/status')
    expect(resumed.height).toBeGreaterThanOrEqual(before)
    // ... and catches up with the miner by itself
    let last = ''
    await waitFor(async () => {
      const [m, f] = await Promise.all([miner.api.get<StatusView>('/api/status'), full.api.get<StatusView>('/api/status')])
      last = JSON.stringify({ m: [m.height, m.tip.slice(0, 8), m.peers], f: [f.height, f.tip.slice(0, 8), f.peers, f.syncing] })
      return m.tip === f.tip && f.peers === 1 && !f.syncing
    }, 'the restarted node to rejoin the tip').catch(err => { throw new Error(`${(err as Error).message}: ${last}\n${full.proc.output().split("\n").filter(l => !l.includes("\"name\":\"api\"")).slice(-60).join("\n")}`) })
  })

  it('minicoin status and minicoin wallet talk to a running daemon through its data dir and cookie', async () => {
    const node = await startDaemon(cleanup, 'miner')
    const cli = (...args: string[]): { status: number | null, stdout: string, stderr: string } => {
      const r = spawnSync(process.execPath, ['bin/minicoin.js', ...args, '--data-dir', node.dataDir], { encoding: 'utf8' })
      return { status: r.status, stdout: r.stdout, stderr: r.stderr }
    }
    const status = cli('status', '--json')
    expect(status.status, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({ role: 'miner', network: 'regtest', peerId: node.info.peerId })
    expect(cli('status').stdout).toContain(node.info.peerId)
    const address = cli('wallet', 'address')
    expect(address.status).toBe(0)
    expect(address.stdout).toMatch(/mcrt1[02-9ac-hj-np-z]+/)
    const fresh = cli('wallet', 'new-address')
    expect(fresh.status, fresh.stderr).toBe(0)
    expect(fresh.stdout.trim()).not.toBe(address.stdout.trim())
    const balance = cli('wallet', 'balance', '--json')
    expect(JSON.parse(balance.stdout)).toMatchObject({ balance: { confirmed: '0' } })
    // paying without funds: one clear line, non-zero exit, no stack trace
    const broke = cli('wallet', 'send', fresh.stdout.trim().split(/\s+/).pop()!, '1000')
    expect(broke.status).not.toBe(0)
    expect(broke.stderr).toMatch(/insufficient funds/)
    expect(broke.stderr).not.toMatch(/\n\s+at /)
  })

  it('stops cleanly on SIGTERM and SIGINT with exit 0', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const node = await startDaemon(cleanup, 'full')
      node.proc.signal(sig)
      const exit = await node.proc.exited
      expect(exit.code, node.proc.output()).toBe(0)
    }
    expect(execFileSync(process.execPath, ['bin/minicoin.js', '--help'], { encoding: 'utf8' })).toMatch(/minicoin/)
  })
})
