// Headers-first download, then the blocks of the best header chain from
// several peers in parallel. Gossip never carries history; this does. The
// header sync is here; the block download itself is in block-download.ts.
//
// Choosing whom to ask for headers. A peer's Status is a hint, never state
// (peer-status.ts), so peers earn trust by delivering headers we verify and
// store, and header sync works in two lanes:
//  - the foreground lane, which the sync round waits for, asks only trusted
//    peers, oldest trust first (not the highest claim: a newcomer cannot
//    jump the queue by claiming more); when a request fails (error reply,
//    silence until the timeout, invalid headers) the same round goes on to
//    the next trusted peer;
//  - the background lane probes untrusted peers whose claim exceeds our
//    best header, oldest first, up to MAX_PROBES at a time; nothing waits
//    for a probe. A probe ends as soon as a reply adds stored headers: the
//    peer is then trusted and the foreground lane goes on with it (so
//    several honest newcomers cost one duplicate reply each, not a
//    duplicate header sync). A probe continues only while its replies are
//    full and held as a low-work branch (header-presync.ts), which is how a
//    fork that starts below the tip's work gets to prove itself.
// A peer that fails a request, sends too many low-work headers, or ends its
// headers short of the work it claimed is penalised and loses its trust,
// and is not asked again before a growing back-off. Peer ids are free and
// on loopback every peer shares one IP (exempt from IP bans), so the
// defence cannot rest on bans: a liar that never delivers never becomes
// trusted and only ever occupies the background lane, so it costs catch-up
// nothing however often it reconnects under a fresh id; a peer that once
// delivered and then stalls costs the foreground lane one request timeout,
// after which it is distrusted, and a fresh id of it starts untrusted
// behind every peer trusted before. (Bitcoin Core likewise treats a peer's
// announced chain as unverified until its headers arrive, and times out a
// headers sync that does not finish within 15 min + 1 ms per header.)
import { blockHash } from '../core/block.js'
import { ValidationError } from '../core/errors.js'
import type { Chain } from '../chain/chain.js'
import type { IndexEntry } from '../chain/block-index.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { WireLimits } from './protocols.js'
import { PeerAction, type PeerActionSpec } from './peer-actions.js'
import type { PeerChainState, PeerStatus } from './peer-status.js'
import type { SyncResponse } from './sync-messages.js'
import { BlockDownload, type BlockDownloadParts } from './block-download.js'

/**
 * Untrusted peers probed for headers at the same time: more simultaneous
 * silent identities than this, all connected before an honest peer, delay
 * its probe by one request timeout (inbound connections per IP are bounded
 * elsewhere).
 */
const MAX_PROBES = 8
/** A header sync must finish within this plus HEADER_SYNC_PER_HEADER_MS per header claimed (Core: 15 min + 1 ms). */
const HEADER_SYNC_BASE_MS = 15 * 60_000
const HEADER_SYNC_PER_HEADER_MS = 1
/** A header sync ended: 'ok' when the peer delivered what it claimed. */
type HeaderSyncResult = 'ok' | 'failed'

/** A header request that did not deliver: its message is the penalty's reason label. */
class HeaderSyncFailure extends Error {
  constructor (reason: string, readonly action: PeerActionSpec = PeerAction.HEADERS_NOT_DELIVERED, options?: ErrorOptions) {
    super(reason, options)
  }
}

/** What headers our chain refused cost their sender, and the reason label (a confused peer's orphans cost only a little). */
export function headersPenalty (err: ValidationError): { action: PeerActionSpec, reason: string } {
  // more low-work headers than a peer may have us check: the claim was a lie or a flood
  if (err.code === 'headers-low-work') return { action: PeerAction.LOW_WORK_HEADERS, reason: 'sync-low-work-headers' }
  return { action: err.severity === 'reject' ? PeerAction.INVALID_BLOCK : PeerAction.USELESS_DATA, reason: `sync-${err.code}` }
}

/** What the block download needs (chain, peers, requests, log, onBlock), and for the header sync: */
export interface BlockFetcherOptions extends BlockDownloadParts {
  metrics?: NodeMetrics
  /** Starts (or repeats) a sync round: new headers arrived. */
  schedule: () => void
}

export class BlockFetcher {
  private readonly chain: Chain
  private readonly limits: WireLimits
  private readonly peers: PeerStatus
  private readonly opts: BlockFetcherOptions
  private stopped = false
  /** Header syncs running, one per peer at most. */
  private readonly headerSyncs = new Map<string, Promise<HeaderSyncResult>>()
  /** The blocks of the best header chain, fetched once their headers are stored. */
  private readonly download: BlockDownload

  constructor (opts: BlockFetcherOptions) {
    this.chain = opts.chain
    this.limits = opts.limits
    this.peers = opts.peers
    this.opts = opts
    this.download = new BlockDownload(opts)
  }

  /** Stops asking at once: requests failing from now on are not the peers' fault. */
  halt (): void {
    this.stopped = true
    this.download.halt()
  }

  /** Resolves once every header sync has ended. */
  async settled (): Promise<void> {
    await Promise.allSettled([...this.headerSyncs.values()])
  }

  /** Foreground lane: trusted claimers, oldest trust first; a failure moves on to the next. */
  async syncFromTrusted (): Promise<void> {
    const tried = new Set<string>()
    while (!this.stopped) {
      const next = this.peers.claimers()
        .filter(s => s.trustedAt !== undefined && !tried.has(s.peer.toString()))
        .sort((a, b) => (a.trustedAt ?? 0) - (b.trustedAt ?? 0))[0]
      if (next === undefined) return
      tried.add(next.peer.toString())
      if (await this.syncHeadersFrom(next) === 'ok') return
    }
  }

  /** Background lane: probes untrusted claimers, oldest first; nobody waits for them. */
  startProbes (): void {
    let probing = 0
    for (const id of this.headerSyncs.keys()) if (this.peers.states.get(id)?.trustedAt === undefined) probing++
    const untried = this.peers.claimers()
      .filter(s => s.trustedAt === undefined && !this.headerSyncs.has(s.peer.toString()))
      .sort((a, b) => a.since - b.since)
    for (const state of untried.slice(0, Math.max(0, MAX_PROBES - probing))) {
      void this.syncHeadersFrom(state, true).then(() => this.opts.schedule())
    }
  }

  /** One header sync per peer at a time; a second caller waits for the running one. */
  private async syncHeadersFrom (state: PeerChainState, probe = false): Promise<HeaderSyncResult> {
    const id = state.peer.toString()
    const running = this.headerSyncs.get(id)
    if (running !== undefined) return await running
    const run = this.syncHeaders(state, probe).finally(() => {
      this.headerSyncs.delete(id)
      this.chain.releaseHeldHeaders(id)
    })
    this.headerSyncs.set(id, run)
    return await run
  }

  /**
   * Headers-first: pulls headers from one peer until it has nothing new,
   * then checks that they back the work it claimed. A probe stops at the
   * first reply that stores headers (the peer has earned trust).
   */
  private async syncHeaders (state: PeerChainState, probe: boolean): Promise<HeaderSyncResult> {
    const id = state.peer.toString()
    const claim = state.work
    const claimedHeaders = Math.min(Math.max(state.height - this.chain.bestHeader().height, 0), 10_000_000)
    const deadline = Date.now() + HEADER_SYNC_BASE_MS + claimedHeaders * HEADER_SYNC_PER_HEADER_MS
    let locator = this.chain.index.locator(this.chain.bestHeader())
    try {
      for (let i = 0; i < 100_000 && !this.stopped; i++) {
        if (Date.now() > deadline) throw new HeaderSyncFailure('sync-headers-too-slow')
        let res: SyncResponse
        try {
          res = await this.opts.request(state.peer, { kind: 'getHeaders', locator, stop: new Uint8Array(0), max: this.limits.headersPerReply })
        } catch (err) {
          if (this.stopped) return 'failed'
          throw new HeaderSyncFailure('sync-headers-not-delivered', PeerAction.HEADERS_NOT_DELIVERED, { cause: err })
        }
        if (res.kind === 'error') throw new HeaderSyncFailure('sync-headers-error-reply')
        if (res.kind !== 'headers') throw new HeaderSyncFailure('sync-unexpected-reply', PeerAction.UNEXPECTED_REPLY)
        if (res.headers.length === 0) break
        let stored: IndexEntry[]
        try {
          stored = await this.chain.processHeaders(res.headers, id)
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err
          const { action, reason } = headersPenalty(err)
          return this.peers.distrust(state, action, reason, err.message)
        }
        const last = res.headers[res.headers.length - 1]
        this.peers.noteProven(state, this.chain.getEntry(blockHash(last)))
        if (stored.length > 0) {
          state.trustedAt ??= Date.now()
          this.opts.metrics?.syncTargetHeight.set(this.peers.targetHeight())
          // blocks can download while more headers come
          this.opts.schedule()
          if (probe) return 'ok'
        }
        if (res.headers.length < this.limits.headersPerReply) break
        // go on after the last header of the reply, stored or held (a low-work branch in presync)
        locator = [blockHash(last), ...this.chain.index.locator(this.chain.bestHeader())].slice(0, this.limits.locatorHashes)
      }
    } catch (err) {
      if (!(err instanceof HeaderSyncFailure)) throw err
      return this.peers.distrust(state, err.action, err.message, (err.cause as Error | undefined)?.message ?? '')
    }
    // a claim is backed when we now know a chain with at least that much work
    if (this.chain.bestHeader().work < claim) return this.peers.distrust(state, PeerAction.UNPROVEN_WORK, 'sync-unproven-work', `claimed work ${claim} not shown`)
    return 'ok'
  }

  /** Downloads every missing block of the best header chain from peers that have it (block-download.ts); true if our chain grew. */
  async downloadBlocks (): Promise<boolean> {
    return await this.download.downloadBlocks()
  }
}
