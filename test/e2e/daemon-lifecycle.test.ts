// The real `minicoin` command around its life: a node whose output pipes
// close keeps working and still stops on SIGTERM; the devnet's nodes go
// away with the devnet however it ends (SIGHUP, SIGKILL); busy ports are one
// clear line before anything is created; the devnet listens on loopback only.
import { afterEach, describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { Cleanup } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import { attachDaemon, BIN, readyDaemon, run, writeConfig, type Daemon } from '../../bench/support/daemons.js'
import { spawnNode, stopProcess, type Exit, type Proc } from '../../bench/support/process.js'
import type { StatusView } from '../../src/node/node-api.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

/** Whether `pid` is a live process (a zombie awaiting its reaper counts as gone). */
function alive (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

/** Kills (by PID) whatever of `pids` is still running when the test ends: they are ours. */
function reapLater (pids: number[]): void {
  cleanup.add(() => { for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL') })
}

/** The process's exit, failing the test when it has not come within `ms`. */
async function exitWithin (p: Proc, what: string, ms: number): Promise<Exit> {
  let exit: Exit | undefined
  void p.exited.then(e => { exit = e })
  return await waitFor(() => exit, what, ms)
}

async function startDevnet (): Promise<{ devnet: Proc, base: string, nodes: Daemon[] }> {
  const base = cleanup.tempDir()
  const devnet = run(['devnet', '--data-dir', base], cleanup)
  const nodes: Daemon[] = []
  for (const role of ['miner', 'full', 'spv']) nodes.push(await attachDaemon(join(base, role), devnet, 180_000))
  reapLater(nodes.map(n => n.info.pid))
  await waitFor(() => devnet.output().includes('Press Ctrl-C to stop'), 'the devnet to be up', 120_000)
  return { devnet, base, nodes }
}

async function listenOn (): Promise<{ server: Server, port: number }> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  cleanup.add(async () => { await new Promise(resolve => server.close(resolve)) })
  return { server, port: (server.address() as { port: number }).port }
}

async function runToExit (args: string[]): Promise<{ code: number | null, stderr: string, stdout: string }> {
  const p = spawnNode([BIN, ...args], { env: { MINICOIN_LOG_PRETTY: '0' } })
  cleanup.add(async () => { await stopProcess(p) })
  const exit = await p.exited
  return { code: exit.code, stderr: p.stderr(), stdout: p.stdout() }
}

describe('minicoin node: its output and its ports', () => {
  it('keeps working when its stdout and stderr pipes close, and stops on SIGTERM', async () => {
    const dir = cleanup.tempDir()
    const config = writeConfig(dir, 'full')
    const proc = spawnNode([BIN, 'node', '--config', config], { detached: true, env: { MINICOIN_LOG_PRETTY: '0' } })
    cleanup.add(async () => { await stopProcess(proc, 5000) })
    // the reader goes away (`minicoin node | head`): every later write fails with EPIPE
    proc.child.stdout?.destroy()
    proc.child.stderr?.destroy()
    const node = await readyDaemon(proc, join(dir, 'data'), 120_000)
    const status = await node.api.get<StatusView>('/api/status')
    expect(status.role).toBe('full')

    proc.signal('SIGTERM')
    const exit = await exitWithin(proc, 'the node to stop after SIGTERM', 30_000)
    expect(exit).toEqual({ code: 0, signal: null })
    expect(existsSync(join(dir, 'data', 'node.json'))).toBe(false)
  }, 180_000)

  it('--host sets the p2p listen address, over the config\'s p2p.host', async () => {
    const dir = cleanup.tempDir()
    const config = writeConfig(dir, 'full', { p2p: { host: '0.0.0.0', port: 0, bootstrap: [], mdns: false } })
    const node = await readyDaemon(run(['node', '--config', config, '--host', '127.0.0.1'], cleanup), join(dir, 'data'), 120_000)
    expect(node.info.listen.length).toBeGreaterThan(0)
    for (const addr of node.info.listen) expect(addr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\//)
  }, 180_000)

  it('a busy p2p or API port: one line naming the address and the flag, exit 1, nothing created', async () => {
    const { port } = await listenOn()
    for (const [flag, what] of [['--port', 'p2p'], ['--api-port', 'API']] as const) {
      const dir = cleanup.tempDir()
      const config = writeConfig(dir, 'full')
      const r = await runToExit(['node', '--config', config, flag, String(port)])
      expect(r.code, r.stderr).toBe(1)
      const lines = r.stderr.trim().split('\n')
      expect(lines, r.stderr).toHaveLength(1)
      expect(lines[0]).toContain(`${what} address 127.0.0.1:${port} is already in use`)
      expect(lines[0]).toContain(`${flag} <n>`)
      expect(r.stderr).not.toMatch(/faultTolerance|\n\s+at /)
      // no data dir, no wallet, no peer key for a node that never ran
      expect(existsSync(join(dir, 'data')), `${flag}: data dir created`).toBe(false)
    }
  }, 120_000)
})

describe('minicoin devnet: its nodes end with it', () => {
  it('SIGHUP (the terminal closed) stops all three cleanly; they listened on 127.0.0.1 only', async () => {
    const { devnet, base, nodes } = await startDevnet()
    for (const n of nodes) for (const addr of n.info.listen) expect(addr, `${n.dataDir}`).toMatch(/^\/ip4\/127\.0\.0\.1\//)
    devnet.signal('SIGHUP')
    const exit = await exitWithin(devnet, 'the devnet to exit after SIGHUP', 60_000)
    expect(exit.code, devnet.output().slice(-2000)).toBe(0)
    expect(devnet.output()).toContain('SIGHUP, stopping the nodes')
    await waitFor(() => nodes.every(n => !alive(n.info.pid)), 'no devnet node left', 30_000)
    for (const role of ['miner', 'full', 'spv']) expect(existsSync(join(base, role, 'node.json'))).toBe(false)
  }, 300_000)

  it('SIGKILL of the devnet: its nodes notice and exit by themselves', async () => {
    const { devnet, nodes } = await startDevnet()
    devnet.signal('SIGKILL')
    expect((await devnet.exited).signal).toBe('SIGKILL')
    await waitFor(() => nodes.every(n => !alive(n.info.pid)), 'no devnet node left after the devnet was killed', 30_000)
  }, 300_000)
})
