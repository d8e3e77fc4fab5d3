// Runs the real `minicoin` command as child processes (each in its own
// process group, ended by PID) and talks to the daemons through their API.
import { readFileSync, existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ApiClient } from '../../src/api/client.js'
import type { NodeInfo } from '../../src/cli/node-info.js'
import type { NodeConfig } from '../../src/node/config.js'
import type { Cleanup } from './nodes.js'
import { spawnNode, stopProcess, type Proc } from './process.js'
import { waitFor } from './wait.js'

export type { Proc }

export const BIN = new URL('../../bin/minicoin.js', import.meta.url).pathname

/** Runs `minicoin <args>` in its own process group, stopped by `cleanup`. */
export function run (args: string[], cleanup: Cleanup, env: NodeJS.ProcessEnv = {}): Proc {
  const proc = spawnNode([BIN, ...args], { detached: true, env: { MINICOIN_LOG_PRETTY: '0', ...env } })
  cleanup.add(async () => { await stopProcess(proc) })
  return proc
}

/** A regtest config for one daemon on loopback with ephemeral ports and no mDNS. */
export function writeConfig (dir: string, role: NodeConfig['role'], extra: Record<string, unknown> = {}): string {
  const config = {
    role,
    network: 'regtest',
    dataDir: join(dir, 'data'),
    p2p: { host: '127.0.0.1', port: 0, bootstrap: [], mdns: false },
    api: { host: '127.0.0.1', port: 0 },
    ...(role === 'miner' ? { mining: { enabled: false, threads: 1 } } : {}),
    log: { level: 'info' },
    ...extra
  }
  const file = join(dir, `${role}.json`)
  writeFileSync(file, JSON.stringify(config, null, 2))
  return file
}

export interface Daemon {
  proc: Proc
  info: NodeInfo
  api: ApiClient
  dataDir: string
}

export async function readyDaemon (proc: Proc, dataDir: string, ms = 60_000): Promise<Daemon> {
  const file = join(dataDir, 'node.json')
  await waitFor(() => {
    if (proc.child.exitCode !== null) throw new Error(`daemon exited early:\n${proc.output()}`)
    if (!existsSync(file)) return false
    try { return (JSON.parse(readFileSync(file, 'utf8')) as NodeInfo).pid === proc.child.pid } catch { return false }
  }, `the daemon in ${dataDir} to be ready`, ms)
  const info = JSON.parse(readFileSync(file, 'utf8')) as NodeInfo
  const token = readFileSync(join(dataDir, '.cookie'), 'utf8').trim()
  return { proc, info, api: new ApiClient(info.api, { token }), dataDir }
}

/** A daemon someone else started (e.g. by `minicoin devnet`), found through its node.json. */
export async function attachDaemon (dataDir: string, owner: Proc, ms = 120_000): Promise<Daemon> {
  const file = join(dataDir, 'node.json')
  await waitFor(() => {
    if (owner.child.exitCode !== null) throw new Error(`the owning process exited:\n${owner.output()}`)
    return existsSync(file) && existsSync(join(dataDir, '.cookie'))
  }, `a daemon in ${dataDir}`, ms)
  const info = JSON.parse(readFileSync(file, 'utf8')) as NodeInfo
  const token = readFileSync(join(dataDir, '.cookie'), 'utf8').trim()
  return { proc: owner, info, api: new ApiClient(info.api, { token }), dataDir }
}

export async function startDaemon (cleanup: Cleanup, role: NodeConfig['role'], args: string[] = [], extra: Record<string, unknown> = {}): Promise<Daemon> {
  const dir = cleanup.tempDir()
  const config = writeConfig(dir, role, extra)
  return await readyDaemon(run(['node', '--config', config, ...args], cleanup), join(dir, 'data'))
}

export function dialAddress (d: Daemon): string {
  const ma = d.info.listen.find(a => a.startsWith('/ip4/127.0.0.1/'))!
  return ma.includes('/p2p/') ? ma : `${ma}/p2p/${d.info.peerId}`
}
