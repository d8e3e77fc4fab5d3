// Before a daemon creates anything (data dir, wallet, peer key), it checks
// that it can listen where its config says: a busy or forbidden port is one
// clear line naming the address and the flag that changes it, not libp2p's
// listen error and a stack after a new wallet was written. A probe listens
// and closes at once; another program may still take the port in between,
// which the start-up error (listenFailure) then reports the same way.
import { createServer } from 'node:net'
import type { NodeConfig } from '../node/config.js'
import { CliError } from './errors.js'

interface Listener { what: string, host: string, port: number, portFlag: string, hostHint: string }

function listenersOf (config: NodeConfig): Listener[] {
  return [
    { what: 'p2p', host: config.p2p.host, port: config.p2p.port, portFlag: '--port', hostHint: '--host (p2p.host)' },
    { what: 'API', host: config.api.host, port: config.api.port, portFlag: '--api-port', hostHint: 'api.host in the config' }
  ]
}

function hostPort (host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** The one-line explanation of a failed listen, or undefined for an error that is not one. */
export function explainListenError (l: Listener, code: string | undefined): string | undefined {
  const where = `the ${l.what} address ${hostPort(l.host, l.port)}`
  const change = `choose another port with ${l.portFlag} <n> (${l.portFlag} 0 takes any free port)`
  if (code === 'EADDRINUSE') return `${where} is already in use (another node or program listens there); ${change}`
  if (code === 'EACCES') return `not allowed to listen on ${where} (ports below 1024 need root); ${change}`
  if (code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: ${l.host} is not an address of this machine; change it with ${l.hostHint}`
  return undefined
}

async function probe (host: string, port: number): Promise<string | undefined> {
  return await new Promise(resolve => {
    const server = createServer()
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)))
  })
}

/** Throws a CliError when the node could not listen on its p2p or API address (fixed ports only). */
export async function checkListenAddresses (config: NodeConfig): Promise<void> {
  for (const l of listenersOf(config)) {
    if (l.port === 0) continue
    const code = await probe(l.host, l.port)
    if (code === undefined) continue
    throw new CliError(explainListenError(l, code) ?? `cannot listen on the ${l.what} address ${hostPort(l.host, l.port)}: ${code}`)
  }
}

/** A start-up error that is a failed listen (libp2p's or the API's), as one line; undefined otherwise. */
export function listenFailure (config: NodeConfig, err: unknown): string | undefined {
  const text = `${(err as Error)?.message ?? String(err)} ${String((err as { cause?: unknown })?.cause ?? '')}`
  const code = /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL)\b/.exec(text)?.[1]
  if (code === undefined) return undefined
  const [p2p, api] = listenersOf(config)
  // libp2p names the multiaddr (/tcp/<port>), the HTTP server host:port
  const l = /failed to be listened on|\/tcp\//.test(text) ? p2p : api
  return explainListenError(l, code)
}
