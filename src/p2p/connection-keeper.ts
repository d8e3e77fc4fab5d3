// Keeps the node connected, whatever the boot order of the LAN's machines.
// libp2p's reconnect queue re-dials a KEEP_ALIVE peer when its connection
// drops, a few times, and its start-up dials KEEP_ALIVE peers once; neither
// retries a peer that was never reached (a bootstrap peer still down when we
// start), and the queue gives up after its retries. This loop (Bitcoin
// Core's ThreadOpenConnections, simplified) covers the rest, and it is the
// only dialler of discovered peers (mDNS, bootstrap, peer exchange: the host
// records them in the address book and wakes the keeper): every tick it
// dials a few address-book candidates that are not connected and whose
// backoff has run out, bootstrap peers always, others only while outbound
// slots are free, counting the dials in flight as taken. So N discoveries
// start at most MAX_IN_FLIGHT dials at once, never N (a LAN of 50 hosts that
// dialled every discovered peer at once drowned in ~2,450 handshakes).
// Backoff per peer is exponential with jitter, capped (bootstrap peers at
// BOOTSTRAP_MAX_DELAY_MS, so one that comes up is reached within seconds),
// and never ends while the node runs.
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Logger } from '../telemetry/logger.js'
import type { PeerBook } from './peer-book.js'

export const TICK_MS = 1000
/** Dials started per tick, and in flight at most. */
export const DIALS_PER_TICK = 2
export const MAX_IN_FLIGHT = 4
const FIRST_DELAY_MS = 1000
export const BOOTSTRAP_MAX_DELAY_MS = 8_000
const MAX_DELAY_MS = 5 * 60_000
/** A scan that found nothing to dial is not repeated for this long, unless peers come or go. */
const IDLE_SCAN_MS = 10_000
/** Backoff entries kept at most (peers the book dropped are forgotten first). */
const MAX_BACKOFF_ENTRIES = 4096

export function backoffDelay (failures: number, bootstrap: boolean, random = Math.random): number {
  const cap = bootstrap ? BOOTSTRAP_MAX_DELAY_MS : MAX_DELAY_MS
  const base = Math.min(cap, FIRST_DELAY_MS * 2 ** Math.min(failures - 1, 20))
  // ±20 % so the hosts of a LAN that booted together do not dial in lockstep
  return Math.round(base * (0.8 + 0.4 * random()))
}

export interface KeeperOptions {
  node: Libp2p
  book: PeerBook
  bootstrapIds: ReadonlySet<string>
  /** Outbound connections we may still open (free outbound slots). */
  freeOutbound: () => number
  log: Logger
}

export class ConnectionKeeper {
  private readonly opts: KeeperOptions
  private readonly backoff = new Map<string, { failures: number, nextAt: number }>()
  private readonly inFlight = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private ticking = false
  /** No scan of the address book before this (reading it costs CPU on every node, every tick). */
  private idleUntil = 0
  /** Dials started by the keeper, for tests and the LAN report. */
  dials = 0

  constructor (opts: KeeperOptions) {
    this.opts = opts
    opts.node.addEventListener('peer:connect', (evt) => { this.backoff.delete(evt.detail.toString()) })
    opts.node.addEventListener('peer:disconnect', () => { this.wake() })
    opts.node.addEventListener('peer:discovery', () => { this.wake() })
  }

  /** New candidates (discovered, heard of): the next tick scans the book. */
  wake (): void {
    this.idleUntil = 0
  }

  start (): void {
    this.timer = setInterval(() => { void this.tick() }, TICK_MS)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  /** Whether anything is worth looking at: a bootstrap peer not connected, or a free outbound slot. */
  private needsDials (): boolean {
    const connected = new Set(this.opts.node.getPeers().map(p => p.toString()))
    for (const id of this.opts.bootstrapIds) if (!connected.has(id)) return true
    return this.roomForOutbound()
  }

  /** Free outbound slots not already taken by a dial in flight. */
  private roomForOutbound (): boolean {
    return this.opts.freeOutbound() - this.inFlight.size > 0
  }

  async tick (): Promise<void> {
    const now = Date.now()
    if (this.ticking || this.timer === undefined || now < this.idleUntil || this.inFlight.size >= MAX_IN_FLIGHT || !this.needsDials()) return
    this.ticking = true
    try {
      let started = 0
      let nextDue = now + IDLE_SCAN_MS
      for (const peer of await this.opts.book.candidates()) {
        if (started >= DIALS_PER_TICK || this.inFlight.size >= MAX_IN_FLIGHT || this.timer === undefined) break
        const id = peer.id.toString()
        const bootstrap = this.opts.bootstrapIds.has(id)
        if (this.inFlight.has(id) || this.opts.node.getConnections(peer.id).length > 0) continue
        const due = this.backoff.get(id)?.nextAt ?? 0
        if (due > now) { nextDue = Math.min(nextDue, due); continue }
        if (!bootstrap && !this.roomForOutbound()) continue
        started++
        this.dial(peer.id, bootstrap)
      }
      // nothing to dial: sleep until the next backoff runs out (or peers come or go)
      if (started === 0) this.idleUntil = nextDue
    } catch (err) {
      this.opts.log.debug('connection keeper tick failed', { err: (err as Error).message })
    } finally {
      this.ticking = false
    }
  }

  private dial (peer: PeerId, bootstrap: boolean): void {
    const id = peer.toString()
    this.inFlight.add(id)
    this.dials++
    this.opts.node.dial(peer).then(() => {
      this.backoff.delete(id)
    }, (err: Error) => {
      const failures = (this.backoff.get(id)?.failures ?? 0) + 1
      const delay = backoffDelay(failures, bootstrap)
      this.backoff.delete(id)
      this.backoff.set(id, { failures, nextAt: Date.now() + delay })
      if (this.backoff.size > MAX_BACKOFF_ENTRIES) this.backoff.delete(this.backoff.keys().next().value as string)
      this.opts.log.debug('dial of known peer failed', { peer: id, failures, retryInMs: delay, err: err.message })
    }).finally(() => { this.inFlight.delete(id) })
  }
}
