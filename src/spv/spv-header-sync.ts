// The light node's headers from its peers: new tips from the header gossip
// topic, and header sync (getHeaders, pipelined) from peers that speak the
// SPV protocol. Our header chain decides what is valid; an invalid header
// bans its sender.
import type { PeerId } from '@libp2p/interface'
import { blockHash } from '../core/block.js'
import { toHex } from '../core/bytes.js'
import { ValidationError } from '../core/errors.js'
import type { BlockHeader } from '../core/types.js'
import type { Logger } from '../telemetry/logger.js'
import type { WireLimits } from '../p2p/protocols.js'
import type { SpvResponse } from '../p2p/spv-messages.js'
import { accept, ignore, type GossipOutcome } from '../p2p/validation/result.js'
import type { HeaderChain } from './header-chain.js'
import type { SpvPeers } from './spv-peers.js'
import { ban, headersVerdict, penalty } from './spv-verdicts.js'

const EMPTY = new Uint8Array(0)

export interface SpvHeaderSyncOptions {
  peers: SpvPeers
  headers: HeaderChain
  limits: WireLimits
  log: Logger
  /** Our header tip moved because of a catch-up. */
  onNewTip: () => void
}

export class SpvHeaderSync {
  /** Height of the last header each peer showed us (for the peer list). */
  readonly peerHeights = new Map<string, number>()
  private readonly running = new Map<string, Promise<void>>()

  constructor (private readonly o: SpvHeaderSyncOptions) {}

  /** Catching up on headers from some peer. */
  get syncing (): boolean {
    return this.running.size > 0
  }

  /** The syncs in flight (to wait for on stop). */
  inFlight (): Array<Promise<void>> {
    return [...this.running.values()]
  }

  forget (peer: string): void {
    this.peerHeights.delete(peer)
  }

  notePeerHeight (peer: string, height: number): void {
    if (height > (this.peerHeights.get(peer) ?? -1)) this.peerHeights.set(peer, height)
  }

  /** Header gossip: our header chain decides; a header that does not connect makes us sync from its sender. */
  async onGossipHeader (header: BlockHeader, from: string): Promise<GossipOutcome> {
    const { headers, peers } = this.o
    const known = headers.get(blockHash(header))
    if (known !== undefined) return accept('known')
    try {
      await headers.processHeaders([header])
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      if (err.code === 'header-orphan') {
        const peer = peers.byId(from)
        if (peer !== undefined) void this.syncFrom(peer)
        return ignore('unknown-parent')
      }
      // [REJECT] an invalid header: full nodes relay only headers of blocks they validated
      if (err.severity === 'reject') peers.judge(from, ban(`spv-${err.code}`, err.message))
      throw err
    }
    const entry = headers.get(blockHash(header))
    // [IGNORE] held, not stored: its branch has too little work to win (header-presync.ts)
    if (entry === undefined) return ignore('low-work-branch')
    this.notePeerHeight(from, entry.height)
    return accept()
  }

  /** Pulls headers from a peer until it has nothing new (one sync per peer at a time). */
  async syncFrom (peer: PeerId): Promise<void> {
    const id = peer.toString()
    const running = this.running.get(id)
    if (running !== undefined) return await running
    const fromHeight = this.o.headers.height
    const run = this.sync(peer)
      .catch(err => { if (!this.o.peers.stopped) this.o.log.debug('header sync failed', { peer: id, err: (err as Error).message }) })
      .finally(() => {
        this.running.delete(id)
        this.o.headers.releaseHeldHeaders(id)
        // a line for a catch-up, none for the one new header gossip brings anyway
        const height = this.o.headers.height
        if (height - fromHeight > 1) this.o.log.info(`caught up at height ${height}`, { headers: height - fromHeight, peer: id })
      })
    this.running.set(id, run)
    await run
  }

  /**
   * Syncs headers from a peer that mentioned a block we do not have (a
   * named tip, or a proof's block); `onUnknownTip` when the peer then serves
   * no headers up to the tip it named. A new tip triggers onNewTip (a peer
   * naming blocks that do not exist must not keep us looping).
   */
  catchUpWith (peer: PeerId, namedTip?: Uint8Array, onUnknownTip?: () => void): void {
    const { headers, peers } = this.o
    const before = headers.tip
    const known = (): boolean => namedTip === undefined || headers.get(toHex(namedTip)) !== undefined
    void (async () => {
      await this.syncFrom(peer)
      // a sync already running may have started before the peer had that tip: judge only after a fresh one
      if (!known() && !peers.stopped) await this.syncFrom(peer)
      if (!known() && !peers.stopped) {
        onUnknownTip?.()
        peers.judge(peer.toString(), penalty('unknown-tip', `named tip ${toHex(namedTip ?? EMPTY)} but served no headers to it`))
      }
      if (headers.tip !== before) this.o.onNewTip()
    })()
  }

  private async sync (peer: PeerId): Promise<void> {
    const { headers, limits, peers } = this.o
    const id = peer.toString()
    const ask = (locator: Uint8Array[]): Promise<SpvResponse> => {
      const req = peers.request(peer, { kind: 'getHeaders', locator, stop: EMPTY, max: limits.headersPerReply })
      req.catch(() => {}) // a prefetch we end up not awaiting must not go unhandled
      return req
    }
    let next: Promise<SpvResponse> | undefined = ask(headers.locator())
    for (let round = 0; round < 100_000 && !peers.stopped && next !== undefined; round++) {
      const res: SpvResponse = await next
      next = undefined
      if (res.kind !== 'headers') {
        peers.judge(id, penalty('unexpected-reply', res.kind))
        return
      }
      if (res.headers.length === 0) return
      // a full reply means more follow: ask for them while these are validated
      const full = res.headers.length >= limits.headersPerReply
      if (round === 0 && res.headers.length > 1) this.o.log.info(`syncing headers: at height ${headers.height}, peer ${id} sent ${res.headers.length}${full ? ' and has more' : ''}`)
      if (full) next = ask([blockHash(res.headers[res.headers.length - 1]), ...headers.locator()])
      let batch
      try {
        batch = await headers.processHeaders(res.headers, id)
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
        const verdict = headersVerdict(err)
        if (verdict !== undefined) peers.judge(id, verdict)
        return
      }
      const last = headers.get(blockHash(res.headers[res.headers.length - 1]))
      if (last !== undefined) this.notePeerHeight(id, last.height)
      // nothing new: stop instead of asking again for what we have (held low-work headers go on while replies are full)
      if (batch.added.length === 0 && batch.held === 0) return
      if (last === undefined && batch.held === 0) return
    }
  }
}
