// Ports a closed outgoing connection still holds. A socket that connected
// out (no SO_REUSEADDR) and closed first stays in TIME-WAIT for 60 s on
// Linux with its ephemeral local port, and until then a server cannot
// listen on that port, SO_REUSEADDR or not: the side-by-side bench's
// minicoin half opens ~1,500 such connections, and one of them on bcoin's
// fixed RPC port made bcoin's start fail with EADDRINUSE (BENCHMARKS.md,
// issue 12 sessions 7 and 8).
import { readFileSync } from 'node:fs'
import { waitFor } from './wait.js'

const TIME_WAIT = '06'

/** The local ports of the TIME-WAIT entries in a /proc/net/tcp{,6} table. */
export function timeWaitPorts (table: string): Set<number> {
  const ports = new Set<number>()
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 4 || fields[3] !== TIME_WAIT) continue
    const port = Number.parseInt(fields[1].split(':')[1] ?? '', 16)
    if (Number.isInteger(port)) ports.add(port)
  }
  return ports
}

function heldNow (ports: readonly number[]): number[] {
  const held = new Set<number>()
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let table: string
    try {
      table = readFileSync(file, 'utf8')
    } catch {
      continue // not Linux, or no IPv6: nothing to wait for
    }
    for (const p of timeWaitPorts(table)) held.add(p)
  }
  return ports.filter(p => held.has(p))
}

/** Waits (up to `timeoutMs`, past Linux's 60 s TIME-WAIT) until no closed connection holds any of `ports`. */
export async function waitForPortsReleased (ports: readonly number[], timeoutMs = 90_000): Promise<void> {
  await waitFor(() => heldNow(ports).length === 0 || undefined, `ports ${ports.join(', ')} released by closed connections`, timeoutMs, 500)
}
