// `minicoin devnet` as the user runs it (node bin/minicoin.js devnet), for
// end-to-end tests: reads the dashboard URLs and the data directory it
// prints, gives each node's API token (<data-dir>/<role>/.cookie), and stops
// it with SIGINT like Ctrl-C, checking that no node process outlives it.
import type { ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { REPO, spawnNode } from '../../../bench/support/process.js'
import { waitFor } from '../../../bench/support/wait.js'


export type DevnetRole = 'miner' | 'full' | 'spv'

export interface Devnet {
  proc: ChildProcess
  urls: Record<DevnetRole, string>
  dataDir: string
  /** Node daemons' pids, from their node.json. */
  nodePids: number[]
  output: string[]
  token: (role: DevnetRole) => Promise<string>
  api: <T = any>(role: DevnetRole, path: string, init?: RequestInit) => Promise<T>
  stop: () => Promise<{ code: number | null, signal: NodeJS.Signals | null, ms: number }>
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Whether `check` held within `ms` (polled every 100 ms). */
async function holdsWithin (check: () => boolean, ms: number): Promise<boolean> {
  return await waitFor(check, 'a devnet condition', ms, 100).then(() => true, () => false)
}

export async function startDevnet (readyTimeoutMs = 150_000): Promise<Devnet> {
  // Its own process group: a Ctrl-C in the terminal running the tests reaches vitest, not this.
  const { child: proc, exited } = spawnNode([join(REPO, 'bin', 'minicoin.js'), 'devnet'], { detached: true, env: { MINICOIN_LOG_PRETTY: '' } })
  const output: string[] = []
  let exitInfo: { code: number | null, signal: NodeJS.Signals | null } | undefined
  void exited.then(e => { exitInfo = e })

  const urls: Partial<Record<DevnetRole, string>> = {}
  let dataDir = ''
  let ready = false
  for (const stream of [proc.stdout, proc.stderr]) {
    createInterface({ input: stream!, crlfDelay: Infinity }).on('line', (line) => {
      output.push(line)
      if (output.length > 400) output.splice(0, 100)
      const data = /data in (\S+?)[,)]/.exec(line)
      if (data !== null) dataDir = data[1]
      const url = /^\s+(miner|full|spv)\s+(http:\/\/\S+?)\/?\s*$/.exec(line)
      if (url !== null) urls[url[1] as DevnetRole] = url[2]
      if (/Press Ctrl-C to stop/.test(line)) ready = true
    })
  }

  const stop = async (): Promise<{ code: number | null, signal: NodeJS.Signals | null, ms: number }> => {
    const started = Date.now()
    if (exitInfo === undefined) proc.kill('SIGINT')
    let result = await Promise.race([exited, new Promise<undefined>(resolve => setTimeout(() => resolve(undefined), 45_000))])
    if (result === undefined) {
      proc.kill('SIGKILL')
      result = await exited
    }
    // The daemons stop with their parent; make sure, and clean up after a broken run.
    if (!(await holdsWithin(() => devnet.nodePids.every(pid => !alive(pid)), 15_000))) {
      for (const pid of devnet.nodePids) if (alive(pid)) process.kill(pid, 'SIGKILL')
      throw new Error(`node processes outlived devnet: ${devnet.nodePids.filter(alive).join(', ')}`)
    }
    return { ...result, ms: Date.now() - started }
  }

  const devnet: Devnet = {
    proc,
    urls: urls as Record<DevnetRole, string>,
    get dataDir () { return dataDir },
    nodePids: [],
    output,
    token: async (role) => (await readFile(join(dataDir, role, '.cookie'), 'utf8')).trim(),
    api: async <T = any>(role: DevnetRole, path: string, init?: RequestInit): Promise<T> => {
      const res = await fetch(`${urls[role]}${path}`, init)
      const body = await res.json()
      if (!res.ok) throw new Error(`${role} ${path}: ${res.status} ${JSON.stringify(body)}`)
      return body as T
    },
    stop
  }

  const ok = await holdsWithin(() => ready || exitInfo !== undefined, readyTimeoutMs)
  if (!ok || exitInfo !== undefined || dataDir === '' || Object.keys(urls).length !== 3) {
    await stop().catch(() => {})
    throw new Error(`minicoin devnet did not start (${exitInfo !== undefined ? `exited ${exitInfo.code ?? exitInfo.signal}` : 'timeout'}); its output:\n${output.slice(-30).join('\n')}`)
  }
  for (const role of ['miner', 'full', 'spv'] as const) {
    const info = JSON.parse(await readFile(join(dataDir, role, 'node.json'), 'utf8')) as { pid: number }
    devnet.nodePids.push(info.pid)
  }
  return devnet
}
