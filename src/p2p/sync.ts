// Full-node sync over /minicoin/N/sync/1.0.0: status exchange on connect,
// headers-first catch-up with block locators, then block download from
// several peers in parallel. Gossip never carries history; this does.
//
// Choosing whom to ask for headers. A peer's Status (its claimed work,
// height and tip) is a hint, never state: a liar can claim any work for
// free. So peers earn trust by delivering headers we verify and store, and
// header sync works in two lanes:
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
import type { PeerId } from '@libp2p/interface'
import { blockHashHex } from '../core/block.js'
import { fromHex, toHex } from '../core/bytes.js'
import { DecodeError, ValidationError } from '../core/errors.js'
import type { Chain } from '../chain/chain.js'
import { blockHash } from '../core/block.js'
import { hasData, isInvalid, type IndexEntry } from '../chain/block-index.js'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { P2PHost } from './host.js'
import type { ProtocolIds, WireLimits } from './protocols.js'
import type { PeerReputation } from './reputation.js'
import { InvalidRequestError, type ReplyBudget, rpcRequest, serveWithinLimits } from './rpc.js'
import { PeerAction, type PeerActionSpec } from './peer-actions.js'
import {
  type ChainStatus, decodeSyncRequest, decodeSyncResponse, encodeBlocksResponse, encodeHeadersResponse,
  encodeStatusResponse, encodeSyncRequest, type SyncRequest, type SyncResponse
} from './sync-messages.js'

export interface PeerChainState {
  peer: PeerId
  /** Claimed in its Status: hints, not verified. */
  height: number
  work: bigint
  tip: string
  updatedAt: number
  /** When we first heard its status (probes go oldest first). */
  since: number
  /** The most-work stored header this peer has shown it has. */
  proven?: IndexEntry
  /** Since when it has delivered headers we verified and stored; undefined: not trusted. */
  trustedAt?: number
  /** Not asked for headers before this time (it failed to back a claim). */
  retryAfter: number
  /** Header syncs with this peer that failed (drives the back-off). */
  failures: number
}

/**
 * Untrusted peers probed for headers at the same time: more simultaneous
 * silent identities than this, all connected before an honest peer, delay
 * its probe by one request timeout (inbound connections per IP are bounded
 * elsewhere).
 */
const MAX_PROBES = 8
/** First back-off after a failed header sync; doubles per failure. */
const RETRY_BASE_MS = 30_000
const RETRY_MAX_MS = 30 * 60_000
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

export interface SyncOptions {
  host: P2PHost
  chain: Chain
  protocols: ProtocolIds
  limits: WireLimits
  reputation: PeerReputation
  metrics?: NodeMetrics
  log: Logger
  /** Milliseconds between status refreshes with every peer (heals partitions). */
  statusIntervalMs?: number
}

export class SyncManager {
  private readonly host: P2PHost
  private readonly chain: Chain
  private readonly protocols: ProtocolIds
  private readonly limits: WireLimits
  readonly reputation: PeerReputation
  readonly metrics?: NodeMetrics
  readonly log: Logger
  readonly peerStates = new Map<string, PeerChainState>()
  private running: Promise<void> | undefined
  private again = false
  private stopped = false
  private readonly abort = new AbortController()
  private timer: NodeJS.Timeout | undefined
  private readonly statusIntervalMs: number
  private readonly inFlight = new Set<string>()
  private readonly syncCapable = new Set<string>()
  private readonly statusInFlight = new Set<string>()
  private readonly statusAgain = new Set<string>()
  /** Header syncs running, one per peer at most. */
  private readonly headerSyncs = new Map<string, Promise<HeaderSyncResult>>()
  private progressAt = 0
  private progressHeight = 0

  constructor (opts: SyncOptions) {
    this.host = opts.host
    this.chain = opts.chain
    this.protocols = opts.protocols
    this.limits = opts.limits
    this.reputation = opts.reputation
    this.metrics = opts.metrics
    this.log = opts.log
    this.statusIntervalMs = opts.statusIntervalMs ?? 10_000
  }

  async start (): Promise<void> {
    await serveWithinLimits(this.host.node, this.protocols.sync, 'sync', this.limits, this, async (bytes, peer, budget) => await this.serve(bytes, peer, budget))
    this.host.node.addEventListener('peer:identify', (evt) => {
      if (!evt.detail.protocols.includes(this.protocols.sync)) return
      this.syncCapable.add(evt.detail.peerId.toString())
      void this.exchangeStatus(evt.detail.peerId)
    })
    this.host.node.addEventListener('peer:disconnect', (evt) => {
      this.peerStates.delete(evt.detail.toString())
      this.syncCapable.delete(evt.detail.toString())
      this.chain.forgetPeerHeaders(evt.detail.toString())
    })
    this.timer = setInterval(() => { for (const p of this.syncPeers()) void this.exchangeStatus(p) }, this.statusIntervalMs)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.abort.abort()
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.host.node.unhandle(this.protocols.sync).catch(() => {})
    await this.running?.catch(() => {})
    await Promise.allSettled([...this.headerSyncs.values()])
  }

  /** Behind the best chain our peers told us about (or still fetching it). */
  get syncing (): boolean {
    // a probe of an untrusted peer does not count: a silent liar must not keep us "syncing"
    return this.running !== undefined || this.chain.bestHeader().height > this.chain.height
  }

  /** Height of the best chain known: ours, our best header, or the claim of a peer that has delivered headers. */
  targetHeight (): number {
    let best = this.chain.bestHeader().height
    for (const s of this.peerStates.values()) if (s.trustedAt !== undefined && s.work > this.chain.tip.work && s.height > best) best = s.height
    return best
  }

  ourStatus (): ChainStatus {
    const tip = this.chain.tip
    return { genesis: fromHex(this.chain.params.genesisHash), tip: tip.hash, height: tip.height, work: tip.work }
  }

  // ---- server --------------------------------------------------------------

  private async serve (bytes: Uint8Array, peer: string, budget: ReplyBudget): Promise<Uint8Array> {
    let req: SyncRequest
    try {
      req = decodeSyncRequest(bytes, this.limits.requestBytes, this.limits.locatorHashes, this.limits.blocksPerReply)
    } catch (err) {
      if (err instanceof DecodeError) throw new InvalidRequestError(err.message, PeerAction.INVALID_REQUEST)
      throw err
    }
    switch (req.kind) {
      case 'status': {
        this.recordStatus(peer, undefined, req.status)
        return encodeStatusResponse(this.ourStatus())
      }
      case 'getHeaders': {
        const max = Math.min(req.max > 0 ? req.max : this.limits.headersPerReply, this.limits.headersPerReply)
        return encodeHeadersResponse(this.chain.headersAfter(req.locator, max, req.stop))
      }
      case 'getBlocks': {
        // An honest client never asks for one block twice in a request; a
        // duplicate only multiplies the reply (16 copies of a 2 MB block
        // for a 600-byte request). Refused before any read, and it costs.
        const seen = new Set<string>()
        for (const h of req.hashes) {
          const hex = toHex(h)
          if (seen.has(hex)) throw new InvalidRequestError(`getBlocks asks for ${hex} twice`, PeerAction.DUPLICATE_REQUEST_ITEMS)
          seen.add(hex)
        }
        const raw: Uint8Array[] = []
        const notFound: Uint8Array[] = []
        // at most what the peer may be sent now (the first block always):
        // blocks left out are simply not in the reply, and asked for again
        const maxBytes = Math.min(this.limits.blockReplyBytes, budget.maxBytes)
        let bytesOut = 0
        for (const h of req.hashes) {
          const block = this.chain.getBlockBytes(h)
          if (block === undefined) { notFound.push(h); continue }
          if (raw.length > 0 && bytesOut + block.length > maxBytes) break
          raw.push(block)
          bytesOut += block.length
        }
        return encodeBlocksResponse(raw, notFound)
      }
    }
  }

  // ---- client --------------------------------------------------------------

  /** Connected peers that speak the sync protocol (learned from identify). */
  private syncPeers (): PeerId[] {
    return this.host.node.getPeers().filter(p => this.syncCapable.has(p.toString()))
  }

  private async request (peer: PeerId, req: SyncRequest): Promise<SyncResponse> {
    const bytes = await rpcRequest(this.host.node, peer, this.protocols.sync, encodeSyncRequest(req), {
      maxResponseBytes: this.limits.responseBytes,
      timeoutMs: this.limits.streamTimeoutMs,
      label: 'sync',
      metrics: this.metrics,
      signal: this.abort.signal
    })
    try {
      return decodeSyncResponse(bytes, this.limits.responseBytes, this.limits.headersPerReply, this.limits.blocksPerReply)
    } catch (err) {
      if (err instanceof DecodeError) this.reputation.penalize(peer.toString(), PeerAction.MALFORMED_REPLY, 'sync-bad-response')
      throw err
    }
  }

  private recordStatus (peerId: string, peer: PeerId | undefined, status: ChainStatus): void {
    if (toHex(status.genesis) !== this.chain.params.genesisHash) {
      this.reputation.ban(peerId, 'wrong-genesis')
      return
    }
    const id = peer ?? this.host.node.getPeers().find(p => p.toString() === peerId)
    if (id === undefined) return
    const now = Date.now()
    // one state object per connected peer, updated in place: a running header sync holds it
    let state = this.peerStates.get(peerId)
    if (state === undefined) {
      state = { peer: id, height: status.height, work: status.work, tip: toHex(status.tip), updatedAt: now, since: now, retryAfter: 0, failures: 0 }
      this.peerStates.set(peerId, state)
    } else {
      Object.assign(state, { height: status.height, work: status.work, tip: toHex(status.tip), updatedAt: now })
    }
    // a tip we store is verified: the peer has shown it has that much work
    this.noteProven(state, this.chain.getEntry(state.tip))
    // more work than we know of, or headers whose blocks we still lack
    const best = this.chain.bestHeader()
    if (status.work > best.work || best.work > this.chain.tip.work) this.schedule()
  }

  /** Asks a peer for its chain status; starts syncing when it knows more work. */
  async exchangeStatus (peer: PeerId): Promise<void> {
    const id = peer.toString()
    // One exchange per peer at a time (announcements can trigger many); a
    // request that arrives meanwhile runs once more afterwards, so the
    // answer we act on is never older than the last announcement.
    if (this.stopped) return
    if (this.statusInFlight.has(id)) {
      this.statusAgain.add(id)
      return
    }
    this.statusInFlight.add(id)
    try {
      do {
        this.statusAgain.delete(id)
        try {
          const res = await this.request(peer, { kind: 'status', status: this.ourStatus() })
          if (res.kind !== 'status') throw new Error(`unexpected ${res.kind} reply to status`)
          this.recordStatus(id, peer, res.status)
        } catch (err) {
          this.log.debug('status exchange failed', { peer: id, err: (err as Error).message })
        }
      } while (this.statusAgain.has(id) && !this.stopped)
    } finally {
      this.statusInFlight.delete(id)
    }
  }

  /** A gossiped block did not connect: its sender has blocks we lack. */
  onOrphan (from: string): void {
    const peer = this.host.node.getPeers().find(p => p.toString() === from)
    if (peer !== undefined) void this.exchangeStatus(peer)
  }

  /** Notes a peer's height when it relays a block we accept. */
  notePeerBlock (from: string, height: number, hashHex: string): void {
    const state = this.peerStates.get(from)
    if (state !== undefined && height > state.height) {
      const entry = this.chain.getEntry(hashHex)
      Object.assign(state, { height, tip: hashHex, work: entry?.work ?? state.work, updatedAt: Date.now() })
      this.noteProven(state, entry)
    }
  }

  private noteProven (state: PeerChainState, entry: IndexEntry | undefined): void {
    if (entry === undefined || isInvalid(entry)) return
    if (state.proven === undefined || entry.work > state.proven.work) state.proven = entry
  }

  private schedule (): void {
    if (this.stopped) return
    if (this.running !== undefined) { this.again = true; return }
    this.running = this.run().finally(() => {
      this.running = undefined
      if (this.again) { this.again = false; this.schedule() }
    })
  }

  private async run (): Promise<void> {
    try {
      for (let round = 0; round < 100 && !this.stopped; round++) {
        const bestBefore = this.chain.bestHeader()
        this.startProbes()
        await this.syncFromTrusted()
        const gotHeaders = this.chain.bestHeader() !== bestBefore
        const gotBlocks = await this.downloadBlocks()
        // nothing moved: a probe that delivers, a status refresh or an announcement starts another round
        if (!gotHeaders && !gotBlocks) break
      }
    } catch (err) {
      if (!this.stopped) this.log.warn('sync round failed', { err: (err as Error).message })
    }
    this.reportProgress(true)
  }

  /** Peers that claim more work than our best header and may be asked now. */
  private claimers (): PeerChainState[] {
    const ours = this.chain.bestHeader().work
    const now = Date.now()
    const out: PeerChainState[] = []
    for (const s of this.peerStates.values()) {
      if (s.work > ours && s.retryAfter <= now && !this.reputation.isBanned(s.peer.toString())) out.push(s)
    }
    return out
  }

  /** Foreground lane: trusted claimers, oldest trust first; a failure moves on to the next. */
  private async syncFromTrusted (): Promise<void> {
    const tried = new Set<string>()
    while (!this.stopped) {
      const next = this.claimers()
        .filter(s => s.trustedAt !== undefined && !tried.has(s.peer.toString()))
        .sort((a, b) => (a.trustedAt ?? 0) - (b.trustedAt ?? 0))[0]
      if (next === undefined) return
      tried.add(next.peer.toString())
      if (await this.syncHeadersFrom(next) === 'ok') return
    }
  }

  /** Background lane: probes untrusted claimers, oldest first; nobody waits for them. */
  private startProbes (): void {
    let probing = 0
    for (const id of this.headerSyncs.keys()) if (this.peerStates.get(id)?.trustedAt === undefined) probing++
    const untried = this.claimers()
      .filter(s => s.trustedAt === undefined && !this.headerSyncs.has(s.peer.toString()))
      .sort((a, b) => a.since - b.since)
    for (const state of untried.slice(0, Math.max(0, MAX_PROBES - probing))) {
      void this.syncHeadersFrom(state, true).then(() => this.schedule())
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
          res = await this.request(state.peer, { kind: 'getHeaders', locator, stop: new Uint8Array(0), max: this.limits.headersPerReply })
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
          return this.distrust(state, action, reason, err.message)
        }
        const last = res.headers[res.headers.length - 1]
        this.noteProven(state, this.chain.getEntry(blockHash(last)))
        if (stored.length > 0) {
          state.trustedAt ??= Date.now()
          this.metrics?.syncTargetHeight.set(this.targetHeight())
          // blocks can download while more headers come
          this.schedule()
          if (probe) return 'ok'
        }
        if (res.headers.length < this.limits.headersPerReply) break
        // go on after the last header of the reply, stored or held (a low-work branch in presync)
        locator = [blockHash(last), ...this.chain.index.locator(this.chain.bestHeader())].slice(0, this.limits.locatorHashes)
      }
    } catch (err) {
      if (!(err instanceof HeaderSyncFailure)) throw err
      return this.distrust(state, err.action, err.message, (err.cause as Error | undefined)?.message ?? '')
    }
    // a claim is backed when we now know a chain with at least that much work
    if (this.chain.bestHeader().work < claim) return this.distrust(state, PeerAction.UNPROVEN_WORK, 'sync-unproven-work', `claimed work ${claim} not shown`)
    return 'ok'
  }

  /** Penalises a peer whose headers did not back its claim; it loses its trust and waits a growing back-off. */
  private distrust (state: PeerChainState, action: PeerActionSpec, reason: string, detail: string): 'failed' {
    const id = state.peer.toString()
    this.reputation.penalize(id, action, reason)
    state.trustedAt = undefined
    state.failures++
    state.retryAfter = Date.now() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(state.failures - 1, 16))
    this.log.debug('header sync failed', { peer: id, reason, detail })
    return 'failed'
  }

  /** Downloads every missing block of the best header chain from peers that have it. */
  private async downloadBlocks (): Promise<boolean> {
    const startHeight = this.chain.height
    // one walk of the header chain per round; workers share the queue
    const queue = this.chain.missingBlocks(Number.MAX_SAFE_INTEGER)
    if (queue.length === 0) return false
    const workers: Array<Promise<void>> = []
    for (const state of this.peerStates.values()) {
      const has = this.blocksPeerHas(state)
      if (has.size === 0) continue
      // two requests in flight per peer keep each pipe busy
      workers.push(this.downloadWorker(state, queue, has), this.downloadWorker(state, queue, has))
    }
    await Promise.all(workers)
    return this.chain.height > startHeight
  }

  /**
   * Blocks off our active chain that a peer holds: the branch below its tip.
   * A peer's height alone says nothing about which branch it is on.
   */
  private blocksPeerHas (state: PeerChainState): Set<string> {
    const has = new Set<string>()
    for (let e = this.chain.getEntry(state.tip) ?? state.proven; e !== undefined && !this.chain.index.isActive(e); e = e.parent) has.add(e.hashHex)
    return has
  }

  /** Takes up to a reply's worth of blocks this peer has from the front of the queue. */
  private takeBatch (queue: IndexEntry[], has: Set<string>): IndexEntry[] {
    const batch: IndexEntry[] = []
    for (let i = 0; i < queue.length && batch.length < this.limits.blocksPerReply; i++) {
      const e = queue[i]
      if (hasData(e) || isInvalid(e)) { queue.splice(i--, 1); continue }
      if (!has.has(e.hashHex) || this.inFlight.has(e.hashHex)) continue
      batch.push(e)
    }
    return batch
  }

  /** Whether blocks this peer could serve are still being fetched by another worker. */
  private othersFetching (queue: IndexEntry[], has: Set<string>): boolean {
    return queue.some(e => !hasData(e) && has.has(e.hashHex) && this.inFlight.has(e.hashHex))
  }

  private async downloadWorker (state: PeerChainState, queue: IndexEntry[], has: Set<string>): Promise<void> {
    const peerId = state.peer.toString()
    let failures = 0
    while (!this.stopped && failures < 3 && this.peerStates.has(peerId)) {
      const batch = this.takeBatch(queue, has)
      if (batch.length === 0) {
        // another worker may fail and hand its blocks back: wait for it
        if (!this.othersFetching(queue, has)) return
        await new Promise(resolve => setTimeout(resolve, 20))
        continue
      }
      for (const e of batch) this.inFlight.add(e.hashHex)
      try {
        const res = await this.request(state.peer, { kind: 'getBlocks', hashes: batch.map(e => e.hash) })
        if (res.kind !== 'blocks') throw new Error(`unexpected ${res.kind} reply to getBlocks`)
        const wanted = new Set(batch.map(e => e.hashHex))
        for (const block of res.blocks) {
          const hash = blockHashHex(block.header)
          if (!wanted.has(hash)) {
            this.reputation.penalize(peerId, PeerAction.UNREQUESTED_BLOCK, 'sync-unrequested-block')
            return
          }
          try {
            await this.chain.processBlock(block)
          } catch (err) {
            if (err instanceof ValidationError && err.severity === 'reject') {
              this.reputation.penalize(peerId, PeerAction.INVALID_BLOCK, `sync-${err.code}`)
              return
            }
            if (!(err instanceof ValidationError)) throw err
          }
          this.reportProgress(false)
        }
        if (res.blocks.length === 0) failures++
      } catch (err) {
        failures++
        if (this.stopped) return
        this.log.debug('block download failed', { peer: peerId, err: (err as Error).message })
      } finally {
        for (const e of batch) this.inFlight.delete(e.hashHex)
      }
    }
  }

  private reportProgress (force: boolean): void {
    const now = Date.now()
    const height = this.chain.height
    const target = Math.max(this.targetHeight(), height)
    this.metrics?.syncTargetHeight.set(target)
    this.metrics?.syncProgress.set(target === 0 ? 1 : height / target)
    if (!force && now - this.progressAt < 2000) return
    if (this.progressAt > 0 && height > this.progressHeight) {
      const rate = (height - this.progressHeight) / ((now - this.progressAt) / 1000)
      const eta = rate > 0 ? Math.round((target - height) / rate) : undefined
      this.log.info(height >= target ? 'in sync' : 'syncing', { height, target, blocksPerSecond: Math.round(rate * 10) / 10, etaSeconds: eta })
    }
    this.progressAt = now
    this.progressHeight = height
  }
}
