// The `node` and `devnet` commands as real processes: signals, the IPC
// channel to a parent, node.json, and devnet's handling of its children.
// Nodes here are fakes (FakeNode behind the real daemon code; a tiny script
// standing in for a daemon under devnet): no libp2p, no mDNS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readNodeInfo, isProcessAlive, type NodeInfo } from '../../src/cli/node-info.js'
import { spawnNode, type Proc } from '../../bench/support/process.js'
import { waitFor } from '../../bench/support/wait.js'

const REPO = resolve(import.meta.dirname, '..', '..')
const src = (path: string): string => pathToFileURL(join(REPO, path)).href
const PEERS = {
  miner: '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp',
  full: '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo',
  spv: '12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE'
}

let dir: string
let configFile: string
let nodeScript: string
let devnetScript: string
let fakeDaemon: string

async function exitWithin (p: Proc, ms: number): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms; stderr:\n${p.stderr()}`)), ms) })
  try {
    return await Promise.race([p.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const running: Proc[] = []
function track (p: Proc): Proc {
  running.push(p)
  return p
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minicoin-cli-daemon-'))
  configFile = join(dir, 'miner.json')
  await writeFile(configFile, JSON.stringify({ role: 'miner', network: 'devnet', api: { port: 0 }, p2p: { port: 0, mdns: false }, log: { level: 'info' } }))

  nodeScript = join(dir, 'fake-node-daemon.mts')
  await writeFile(nodeScript, `
import { writeFileSync } from 'node:fs'
import { runNodeCommand } from '${src('src/cli/commands/node.ts')}'
import { processIo } from '${src('src/cli/io.ts')}'
import { FakeNode, FAKE_PEER_ID } from '${src('test/support/fake-node.ts')}'
const stopMs = Number(process.env.FAKE_STOP_MS ?? '0')
let code
try {
  code = await runNodeCommand(process.argv.slice(2), processIo, {
    webDir: ${JSON.stringify(dir)},
    startNode: async () => {
      if (process.env.FAKE_START_FAIL === '1') throw new Error('simulated start failure')
      return {
        api: new FakeNode(),
        peerId: FAKE_PEER_ID,
        listen: ['/ip4/127.0.0.1/tcp/4001/p2p/' + FAKE_PEER_ID],
        stop: async () => {
          await new Promise(resolve => setTimeout(resolve, stopMs))
          if (process.env.FAKE_STOP_MARKER) writeFileSync(process.env.FAKE_STOP_MARKER, 'stopped')
        }
      }
    }
  })
} catch (err) {
  process.stderr.write('minicoin: error: ' + err.message + '\\n')
  code = err.exitCode ?? 1
}
process.exit(code)
`)

  fakeDaemon = join(dir, 'fake-daemon.mjs')
  await writeFile(fakeDaemon, `
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { basename, join } from 'node:path'
const args = process.argv.slice(2)
const get = (flag) => { const i = args.indexOf(flag); return i === -1 ? undefined : args[i + 1] }
const dataDir = get('--data-dir')
const role = basename(get('--config'), '.json')
const peers = ${JSON.stringify(PEERS)}
mkdirSync(dataDir, { recursive: true })
writeFileSync(join(dataDir, 'argv.json'), JSON.stringify(args))
writeFileSync(join(dataDir, 'env.json'), JSON.stringify({ MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? null }))
if (process.env.FAKE_FAIL_START === role) { console.error(role + ': simulated start failure'); process.exit(4) }
const server = createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
  const info = { pid: process.pid, role, network: 'devnet', peerId: peers[role], api: 'http://127.0.0.1:' + server.address().port,
    listen: ['/ip4/192.0.2.7/tcp/4100/p2p/' + peers[role], '/ip4/127.0.0.1/tcp/4100/p2p/' + peers[role]], dataDir, walletFile: '', startedAt: Date.now(), version: '0' }
  writeFileSync(join(dataDir, 'node.json.tmp'), JSON.stringify(info))
  renameSync(join(dataDir, 'node.json.tmp'), join(dataDir, 'node.json'))
  console.log(role + ' ready pid=' + process.pid)
  if (process.env.FAKE_DIE === role) setTimeout(() => process.exit(3), 200)
})
process.on('SIGTERM', () => { rmSync(join(dataDir, 'node.json'), { force: true }); process.exit(0) })
// as a real node does: gone with its devnet parent, so a failed test leaves no fake behind
process.on('disconnect', () => process.exit(0))
`)

  devnetScript = join(dir, 'devnet-runner.mts')
  await writeFile(devnetScript, `
import { runDevnet } from '${src('src/cli/commands/devnet.ts')}'
import { processIo } from '${src('src/cli/io.ts')}'
const code = await runDevnet(process.argv.slice(2), processIo, {
  daemonCommand: [${JSON.stringify(fakeDaemon)}],
  configDir: ${JSON.stringify(join(REPO, 'config'))},
  readyTimeoutMs: 60000,
  stopTimeoutMs: 10000
})
process.exit(code)
`)
})

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

describe('minicoin node: signals and node.json', () => {
  const startNode = (dataDir: string, env: NodeJS.ProcessEnv = {}, ipc = false): Proc =>
    track(spawnNode(['--import', 'tsx', nodeScript, '--config', configFile, '--data-dir', dataDir, '--api-port', '0', '--no-mdns'], { env: { MINICOIN_LOG_PRETTY: '0', ...env }, ipc }))

  async function ready (p: Proc, dataDir: string): Promise<NodeInfo> {
    return await waitFor(async () => {
      if (p.child.exitCode !== null) throw new Error(`exited early: ${p.stderr()}`)
      const info = await readNodeInfo(dataDir).catch(() => undefined)
      return info?.pid === p.child.pid ? info : undefined
    }, 'node.json', 60_000)
  }

  it.each(['SIGTERM', 'SIGINT'] as const)('%s stops the API and the node, removes node.json and the cookie, exits 0', async (signal) => {
    const dataDir = join(dir, `node-${signal}`)
    const marker = join(dir, `stopped-${signal}`)
    const p = startNode(dataDir, { FAKE_STOP_MARKER: marker })
    const info = await ready(p, dataDir)
    expect(info.role).toBe('miner')
    expect(existsSync(join(dataDir, '.cookie'))).toBe(true)
    const status = await (await fetch(`${info.api}/api/status`)).json() as { role: string }
    expect(status.role).toBe('miner')
    p.child.kill(signal)
    const exit = await exitWithin(p, 20_000)
    expect(exit.code).toBe(0)
    expect(existsSync(marker)).toBe(true)
    expect(existsSync(join(dataDir, 'node.json'))).toBe(false)
    expect(existsSync(join(dataDir, '.cookie'))).toBe(false)
    expect(p.stderr()).toContain(`stopping (${signal})`)
  })

  it('a later second signal exits at once, even while the node is still stopping', async () => {
    const dataDir = join(dir, 'node-twice')
    const p = startNode(dataDir, { FAKE_STOP_MS: '600000' })
    await ready(p, dataDir)
    const firstAt = Date.now()
    p.child.kill('SIGINT')
    // A repeat within the first second counts as the same Ctrl-C (npm forwards one too).
    await waitFor(() => (p.stderr().includes('stopping (SIGINT)') && Date.now() - firstAt > 1200) || undefined, 'stopping, and the same-signal window to pass', 60_000)
    p.child.kill('SIGINT')
    const exit = await exitWithin(p, 10_000)
    expect(exit.code).toBe(130)
  })

  it('the same Ctrl-C delivered twice at once (terminal + npm) still stops cleanly', async () => {
    const dataDir = join(dir, 'node-duplicate')
    const marker = join(dir, 'stopped-duplicate')
    const p = startNode(dataDir, { FAKE_STOP_MS: '300', FAKE_STOP_MARKER: marker })
    await ready(p, dataDir)
    p.child.kill('SIGINT')
    p.child.kill('SIGINT')
    const exit = await exitWithin(p, 20_000)
    expect(exit.code).toBe(0)
    expect(existsSync(marker)).toBe(true)
  })

  it('stops when the parent\'s IPC channel closes (devnet parent gone)', async () => {
    const dataDir = join(dir, 'node-ipc')
    const marker = join(dir, 'stopped-ipc')
    const p = startNode(dataDir, { FAKE_STOP_MARKER: marker }, true)
    await ready(p, dataDir)
    p.child.disconnect()
    const exit = await exitWithin(p, 20_000)
    expect(exit.code).toBe(0)
    expect(existsSync(marker)).toBe(true)
    expect(p.stderr()).toContain('parent process gone')
  })

  it('a node that fails to start: exit 1 with the reason, no node.json', async () => {
    const dataDir = join(dir, 'node-fail')
    const p = startNode(dataDir, { FAKE_START_FAIL: '1' })
    const exit = await exitWithin(p, 30_000)
    expect(exit.code).toBe(1)
    expect(p.stderr()).toContain('the node failed to start: simulated start failure')
    expect(p.stderr()).not.toMatch(/\n\s+at /)
    expect(existsSync(join(dataDir, 'node.json'))).toBe(false)
  })
})

describe('minicoin devnet: three children', () => {
  const startDevnet = (env: NodeJS.ProcessEnv = {}, args: string[] = []): Proc =>
    track(spawnNode(['--import', 'tsx', devnetScript, ...args], { env: { TMPDIR: dir, ...env } }))

  const urlsPrinted = (p: Proc): boolean => {
    if (p.child.exitCode !== null) throw new Error(`devnet exited early: ${p.stderr()}`)
    return p.stdout().includes('Press Ctrl-C')
  }
  const pidsOf = (text: string): number[] => [...text.matchAll(/ready pid=([0-9]+)/g)].map(m => Number(m[1]))
  const baseOf = (text: string): string | undefined => /data in ([^,)]+)/.exec(text)?.[1]

  it('bootstraps full and spv from the miner\'s loopback address, prints the URLs, stops all on SIGTERM and cleans up', async () => {
    const p = startDevnet()
    const out = await waitFor(() => urlsPrinted(p) ? p.stdout() : undefined, 'the URLs', 60_000)
    for (const role of ['miner', 'full', 'spv']) expect(out).toMatch(new RegExp(`^  ${role} +http://127\\.0\\.0\\.1:[0-9]+/$`, 'm'))
    const base = baseOf(out) as string
    expect(base.startsWith(dir)).toBe(true)
    const argv = async (role: string): Promise<string[]> => JSON.parse(await readFile(join(base, role, 'argv.json'), 'utf8')) as string[]
    const minerAddr = `/ip4/127.0.0.1/tcp/4100/p2p/${PEERS.miner}`
    for (const role of ['miner', 'full', 'spv']) {
      const a = await argv(role)
      expect(a.slice(0, 3)).toEqual(['node', '--config', join(REPO, 'config', `${role}.json`)])
      expect(a).toContain('--no-mdns')
      expect(a.join(' ')).toContain(`--data-dir ${join(base, role)} --host 127.0.0.1 --port 0 --api-port 0`)
      if (role === 'miner') expect(a).not.toContain('--bootstrap')
      else expect(a.slice(a.indexOf('--bootstrap'))).toEqual(['--bootstrap', minerAddr])
      // the malloc arena limit the systemd unit sets (README, Memory)
      expect(JSON.parse(await readFile(join(base, role, 'env.json'), 'utf8'))).toEqual({ MALLOC_ARENA_MAX: '2' })
    }
    const pids = await waitFor(() => pidsOf(p.stderr()).length === 3 ? pidsOf(p.stderr()) : undefined, 'three pids', 60_000)
    p.child.kill('SIGTERM')
    const exit = await exitWithin(p, 30_000)
    expect(exit.code).toBe(0)
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false)
    expect(existsSync(base)).toBe(false)
  })

  it('when a child dies, reports which one, stops the others, exits 1', async () => {
    const p = startDevnet({ FAKE_DIE: 'full' })
    const exit = await exitWithin(p, 60_000)
    expect(exit.code).toBe(1)
    expect(p.stderr()).toContain('the full node exited unexpectedly (exit code 3); stopping the others')
    for (const pid of pidsOf(p.stderr())) expect(isProcessAlive(pid)).toBe(false)
    const base = baseOf(p.stdout())
    if (base !== undefined) expect(existsSync(base)).toBe(false)
    expect((await readdir(dir)).filter(n => n.startsWith('minicoin-devnet-'))).toEqual([])
  })

  it('when the miner cannot start, says why and exits 1', async () => {
    const p = startDevnet({ FAKE_FAIL_START: 'miner' })
    const exit = await exitWithin(p, 60_000)
    expect(exit.code).toBe(1)
    expect(p.stderr()).toContain('the miner node exited before it was ready (exit code 4)')
    expect(p.stderr()).toContain('miner: simulated start failure')
    expect((await readdir(dir)).filter(n => n.startsWith('minicoin-devnet-'))).toEqual([])
  })

  it('--data-dir keeps the data', async () => {
    const keep = join(dir, 'kept')
    const p = startDevnet({ MALLOC_ARENA_MAX: '4' }, ['--data-dir', keep])
    await waitFor(() => urlsPrinted(p) || undefined, 'the URLs', 60_000)
    p.child.kill('SIGINT')
    expect((await exitWithin(p, 30_000)).code).toBe(0)
    expect(existsSync(join(keep, 'miner', 'argv.json'))).toBe(true)
    // a limit the user set is the children's, not the default
    expect(JSON.parse(await readFile(join(keep, 'full', 'env.json'), 'utf8'))).toEqual({ MALLOC_ARENA_MAX: '4' })
  })
})
