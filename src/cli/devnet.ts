// The processes of `minicoin devnet`: each node is a child daemon with its
// own data dir, ephemeral ports and no mDNS. Children run in their own
// process group, so a terminal's Ctrl-C reaches only this parent, which
// forwards one SIGTERM to each (a second signal would make them exit at
// once). They also hold an IPC channel to the parent and stop when it goes
// away, so even a killed parent leaves no orphans.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { CliError } from './errors.js'
import type { CliIo } from './io.js'
import { readNodeInfo, type NodeInfo } from './node-info.js'

export interface ChildExit { code: number | null, signal: NodeJS.Signals | null }

export class DevnetChild {
  readonly proc: ChildProcess
  readonly exited: Promise<ChildExit>
  /** The last lines the child printed, for a report when it dies. */
  readonly tail: string[] = []

  constructor (readonly role: string, readonly dataDir: string, command: string[], io: CliIo, env: NodeJS.ProcessEnv) {
    this.proc = spawn(process.execPath, command, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true, env })
    this.exited = new Promise(resolve => {
      this.proc.once('exit', (code, signal) => resolve({ code, signal }))
      this.proc.once('error', (err) => {
        this.tail.push(err.message)
        resolve({ code: -1, signal: null })
      })
    })
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      if (stream === null) continue
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        this.tail.push(line)
        if (this.tail.length > 20) this.tail.shift()
        io.err(`[${role}] ${line}`)
      })
    }
  }

  get running (): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null
  }

  describeExit (exit: ChildExit): string {
    return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`
  }

  kill (signal: NodeJS.Signals): void {
    if (this.running) this.proc.kill(signal)
  }

  /** Its node.json once the daemon is up; fails when it exits first, takes too long, or `abort` fires. */
  async ready (timeoutMs: number, abort: AbortSignal): Promise<NodeInfo> {
    const deadline = Date.now() + timeoutMs
    let exit: ChildExit | undefined
    void this.exited.then(e => { exit = e })
    for (;;) {
      if (abort.aborted) throw abort.reason
      if (exit !== undefined) {
        throw new CliError(`the ${this.role} node exited before it was ready (${this.describeExit(exit)})${this.tail.length > 0 ? `; its last output:\n  ${this.tail.slice(-5).join('\n  ')}` : ''}`)
      }
      const info = await readNodeInfo(this.dataDir).catch(() => undefined)
      if (info !== undefined && info.pid === this.proc.pid) return info
      if (Date.now() > deadline) throw new CliError(`the ${this.role} node was not ready within ${Math.round(timeoutMs / 1000)} s`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
}

/** SIGTERM to every running child, SIGKILL to those still running after `timeoutMs`. */
export async function stopChildren (children: DevnetChild[], timeoutMs: number): Promise<void> {
  for (const c of children) c.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const all = Promise.all(children.map(async c => await c.exited))
  const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(true), timeoutMs) })])
  clearTimeout(timer)
  if (timedOut) {
    for (const c of children) c.kill('SIGKILL')
    await all
  }
}

/** A multiaddr other local nodes can dial: the node's TCP listener on 127.0.0.1, with its peer id. */
export function loopbackDialAddress (info: NodeInfo): string {
  const plain = info.listen.find(a => /^\/ip4\/127\.0\.0\.1\/tcp\/[0-9]+(\/p2p\/[^/]+)?$/.test(a))
  if (plain !== undefined) return plain.includes('/p2p/') ? plain : `${plain}/p2p/${info.peerId}`
  const port = info.listen.map(a => /^\/ip[46]\/[^/]+\/tcp\/([0-9]+)(\/p2p\/[^/]+)?$/.exec(a)?.[1]).find(p => p !== undefined)
  if (port === undefined) throw new CliError(`the node announced no TCP address (listen: ${info.listen.join(', ') || 'none'})`)
  return `/ip4/127.0.0.1/tcp/${port}/p2p/${info.peerId}`
}
