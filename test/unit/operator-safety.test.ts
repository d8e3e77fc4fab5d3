// Small things an operator trips over (issue 16.10): a config holding the
// wallet password readable by others; a stale node.json whose pid was
// reused blocking start and restore (the data dir's lock decides instead,
// and dies with its process); demo payments captured by Sybil peers.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lockPath } from '../../src/cli/data-dir-lock.js'
import { startDaemon } from '../../src/cli/daemon.js'
import { main } from '../../src/cli/main.js'
import { writeNodeInfo } from '../../src/cli/node-info.js'
import { devnet } from '../../src/core/params.js'
import { ConfigError, loadConfig } from '../../src/node/config.js'
import { DemoPayments } from '../../src/node/demo.js'
import { silentLogger } from '../../src/telemetry/logger.js'
import type { RunningNode } from '../../src/node/start-node.js'
import { Wallet } from '../../src/wallet/wallet.js'
import { FAKE_PEER_ID, FakeNode, fakeAddress } from '../support/fake-node.js'

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'minicoin-operator-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

describe('a config file holding wallet.password', () => {
  async function configWith (name: string, content: object, mode: number): Promise<string> {
    const file = join(dir, name)
    await writeFile(file, JSON.stringify(content))
    await chmod(file, mode)
    return file
  }

  it('is refused when group or others may read it, with the fix in the message', async () => {
    for (const mode of [0o644, 0o640, 0o604]) {
      const file = await configWith(`pw-${mode.toString(8)}.json`, { role: 'full', network: 'devnet', wallet: { password: 'hunter2' } }, mode)
      let err: unknown
      try { loadConfig(file) } catch (e) { err = e }
      expect(err, mode.toString(8)).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).key).toBe('wallet.password')
      expect((err as Error).message).toContain(`mode ${mode.toString(8)}`)
      expect((err as Error).message).toContain(`chmod 600 ${file}`)
    }
  })

  it('is accepted owner-only; a config without a password may be world-readable', async () => {
    expect(loadConfig(await configWith('pw-600.json', { role: 'full', network: 'devnet', wallet: { password: 'hunter2' } }, 0o600)).wallet.password).toBe('hunter2')
    expect(loadConfig(await configWith('nopw-644.json', { role: 'full', network: 'devnet', wallet: { password: null } }, 0o644)).wallet.password).toBeNull()
  })
})

describe('one daemon per data dir', () => {
  const fakeRunning = (): RunningNode => ({ api: new FakeNode(), peerId: FAKE_PEER_ID, listen: [], stop: async () => {} })

  async function configIn (dataDir: string): Promise<ReturnType<typeof loadConfig>> {
    const file = join(dir, `daemon-${Math.random().toString(16).slice(2)}.json`)
    await writeFile(file, JSON.stringify({ role: 'full', network: 'devnet', dataDir, api: { port: 0 }, p2p: { mdns: false } }))
    return loadConfig(file)
  }

  /** Another process holding the data dir's lock, as a running daemon does. */
  async function lockHolder (dataDir: string): Promise<ChildProcess> {
    const classicLevel = createRequire(import.meta.url).resolve('classic-level')
    const script = `const { ClassicLevel } = require(${JSON.stringify(classicLevel)});
      new ClassicLevel(${JSON.stringify(lockPath(dataDir))}).open().then(() => console.log('locked'));
      setInterval(() => {}, 60000)`
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('locked')) resolve() })
      child.once('exit', code => reject(new Error(`the lock holder exited (${code})`)))
    })
    return child
  }

  async function restore (dataDir: string, phrase: string): Promise<{ code: number, err: string }> {
    const err: string[] = []
    const code = await main(['wallet', 'restore', '--data-dir', dataDir, '--unencrypted'], {
      out: () => {}, err: (t) => { err.push(t) }, env: {}, cwd: dir, stdinIsTTY: false, readStdin: async () => phrase
    })
    return { code, err: err.join('\n') }
  }

  let phrase: string
  beforeAll(async () => {
    phrase = (await Wallet.create(join(dir, 'phrase', 'wallet.json'), { params: devnet, protection: { unencrypted: true } })).exportMnemonic()
  })

  it('a node.json whose pid now belongs to another live process blocks neither start nor restore', async () => {
    const dataDir = join(dir, 'reused-pid')
    // the crashed daemon's pid was reused: here by this very test process, which is alive
    await writeNodeInfo(dataDir, { pid: process.pid, role: 'full', network: 'devnet', peerId: FAKE_PEER_ID, api: 'http://127.0.0.1:1', listen: [], dataDir, walletFile: join(dataDir, 'wallet.json'), startedAt: 0, version: '' })
    const r = await restore(dataDir, phrase)
    expect(r.err).not.toContain('stop it before restoring')
    expect(r.code).toBe(0)
    await writeNodeInfo(dataDir, { pid: process.pid + 1_000_000, role: 'full', network: 'devnet', peerId: FAKE_PEER_ID, api: 'http://127.0.0.1:1', listen: [], dataDir, walletFile: '', startedAt: 0, version: '' })
    const daemon = await startDaemon(await configIn(dataDir), silentLogger, { startNode: async () => fakeRunning(), webDir: dir })
    await daemon.stop()
  })

  it('a live daemon\'s lock refuses a second daemon and a restore; it dies with its process, even on SIGKILL', async () => {
    const dataDir = join(dir, 'locked')
    const holder = await lockHolder(dataDir)
    try {
      let started = false
      await expect(startDaemon(await configIn(dataDir), silentLogger, { startNode: async () => { started = true; return fakeRunning() }, webDir: dir }))
        .rejects.toThrow('another node is already running with the data dir')
      expect(started).toBe(false)
      const r = await restore(dataDir, phrase)
      expect(r.code).toBe(1)
      expect(r.err).toContain('stop it before restoring')
    } finally {
      holder.kill('SIGKILL')
      await new Promise(resolve => holder.once('exit', resolve))
    }
    const daemon = await startDaemon(await configIn(dataDir), silentLogger, { startNode: async () => fakeRunning(), webDir: dir })
    // and while this daemon runs, a second one in the same process is refused too
    await expect(startDaemon(await configIn(dataDir), silentLogger, { startNode: async () => fakeRunning(), webDir: dir })).rejects.toThrow('already running')
    await daemon.stop()
  })
})

describe('demo payments', () => {
  it('pick a payee per distinct IP: twenty Sybil connections from one machine win about half, not 20/21', async () => {
    const honest = fakeAddress(1)
    const sybils = Array.from({ length: 20 }, (_, i) => ({ ip: '10.0.0.66', address: fakeAddress(100 + i) }))
    const paid: string[] = []
    const demo = new DemoPayments({
      intervalMs: 60_000,
      amount: 1000n,
      payees: () => [...sybils, { ip: '10.0.0.7', address: honest }],
      send: async (to) => { paid.push(to); return { txid: 'ab'.repeat(32) } },
      log: silentLogger
    })
    // a fixed sequence of "random" numbers keeps the count exact
    let state = 1
    const random = vi.spyOn(Math, 'random').mockImplementation(() => { state = (state * 48271) % 2147483647; return state / 2147483647 })
    try {
      for (let i = 0; i < 400; i++) await (demo as unknown as { tick: () => Promise<void> }).tick()
    } finally {
      random.mockRestore()
      demo.stop()
    }
    expect(paid).toHaveLength(400)
    const toHonest = paid.filter(a => a === honest).length
    expect(toHonest).toBeGreaterThan(150)
    expect(toHonest).toBeLessThan(250)
  })
})
