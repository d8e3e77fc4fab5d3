// The one child-process spawner of tests and benches: node scripts run as
// children whose output is collected, whose exit is a promise, and which are
// ended by PID (their own process group when `detached`), never by name.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'

export const REPO = new URL('../..', import.meta.url).pathname

export interface Exit { code: number | null, signal: NodeJS.Signals | null }

export interface Proc {
  child: ChildProcess
  /** stdout and stderr interleaved as they arrived. */
  output: () => string
  stdout: () => string
  stderr: () => string
  exited: Promise<Exit>
  /** Signals the child (its whole process group when detached); a no-op once it exited. */
  signal: (sig: NodeJS.Signals) => void
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Own process group, so a signal reaches the child's children too. */
  detached?: boolean
  /** Adds an IPC channel (child.send / process.on('message')). */
  ipc?: boolean
}

/** Runs `process.execPath` with `args`. */
export function spawnNode (args: string[], opts: SpawnOptions = {}): Proc {
  const detached = opts.detached === true
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd ?? REPO,
    detached,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(opts.ipc === true ? ['ipc' as const] : [])]
  })
  let out = ''
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (c: Buffer) => { out += c.toString(); stdout += c.toString() })
  child.stderr?.on('data', (c: Buffer) => { out += c.toString(); stderr += c.toString() })
  const exited = new Promise<Exit>(resolve => child.once('exit', (code, signal) => resolve({ code, signal })))
  const signal = (sig: NodeJS.Signals): void => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
    try { process.kill(detached ? -child.pid : child.pid, sig) } catch {}
  }
  return { child, output: () => out, stdout: () => stdout, stderr: () => stderr, exited, signal }
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`; resolves once it exited. */
export async function stopProcess (p: Proc, graceMs = 20_000): Promise<Exit> {
  p.signal('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const done = await Promise.race([p.exited.then(() => true), new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), graceMs) })])
  clearTimeout(timer)
  if (!done) p.signal('SIGKILL')
  return await p.exited
}

/** Clock ticks a second in /proc's CPU times (getconf CLK_TCK on Linux). */
export const TICKS_PER_S = 100

/** User + system CPU seconds in a /proc stat file: a process's (`/proc/<pid>/stat`) or one thread's (`/proc/<pid>/task/<tid>/stat`). */
export function statCpuSeconds (path: string): number {
  const stat = readFileSync(path, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S // utime, stime: fields 14 and 15 of stat(5)
}

/** User + system CPU seconds of a live process so far, all its threads (finished worker threads included; Linux /proc). */
export function processCpuSeconds (pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`)
}
