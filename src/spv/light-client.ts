// The light node's network side over /minicoin/N/spv/1.0.0: header sync from
// peers that speak the protocol, new tips from the header gossip topic, and
// Merkle proofs for the wallet's addresses. Nothing a peer says is believed
// until checked: headers go through our header chain's rules, proofs through
// verifyProof against it. A peer caught sending an invalid header or proof is
// banned and that reply's data dropped.
//
// Address history is scanned per peer: each peer has its own (height, txid)
// cursor per address that only moves forward, and its answer counts as
// complete only through the tip it names, and only when that block is on our
// own active chain. A page that makes no progress, or goes backwards, is a
// protocol violation. Each peer's refresh runs on its own, bounded in pages
// and time, so a slow or stalling peer holds up nobody else. When a peer's
// completed scan lacks a transaction another peer proved inside the range it
// claims complete, it costs the omitter. Checks return verdicts
// (spv-verdicts.ts) and one method, judge, applies them: the points are in
// the one penalty table, p2p/peer-actions.ts.
import type { PeerId } from '@libp2p/interface'
import { blockHash } from '../core/block.js'
import { equalBytes, fromHex, toHex } from '../core/bytes.js'
import { DecodeError, ValidationError } from '../core/errors.js'
import { hash160 } from '../core/hash.js'
import { txid as txidOf } from '../core/tx.js'
import type { NetworkParams } from '../core/params.js'
import type { BlockHeader, Transaction } from '../core/types.js'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { GossipService } from '../p2p/gossip.js'
import type { P2PHost } from '../p2p/host.js'
import type { ProtocolIds, WireLimits } from '../p2p/protocols.js'
import type { PeerReputation } from '../p2p/reputation.js'
import { rpcRequest } from '../p2p/rpc.js'
import { decodeSpvResponse, encodeSpvRequest, spvLimitsOf, type MerkleProof, type SpvRequest, type SpvResponse } from '../p2p/spv-messages.js'
import { lightHeaderValidator } from '../p2p/validation/header.js'
import { accept, ignore, type GossipOutcome } from '../p2p/validation/result.js'
import type { HeaderChain, ReorgInfo } from './header-chain.js'
import { verifyProof, type VerifiedProof } from './proof-verifier.js'
import type { ProvenTransactions } from './proven-txs.js'
import { ban, decodeVerdict, headersVerdict, penalty, penaltyOf, proofsVerdict, type SpvVerdict } from './spv-verdicts.js'

export interface LightClientOptions {
  host: P2PHost
  gossip: GossipService
  headers: HeaderChain
  proven: ProvenTransactions
  params: NetworkParams
  protocols: ProtocolIds
  limits: WireLimits
  reputation: PeerReputation
  metrics?: NodeMetrics
  log: Logger
  /** Address hashes to follow; read on every refresh, so new wallet addresses are picked up. */
  addresses: () => Uint8Array[]
  /** How many peers each address history is asked of (a peer can only hide transactions, not invent them). */
  peersPerQuery?: number
  /** Periodic header sync and proof refresh with every peer (heals missed gossip). */
  resyncIntervalMs?: number
  /** History pages one peer's refresh may ask for (it continues at the next refresh). */
  pagesPerRefresh?: number
  /** Time one peer's refresh may take. */
  peerRefreshMs?: number
}

const EMPTY = new Uint8Array(0)

function touches (tx: Transaction, address: Uint8Array): boolean {
  return tx.outputs.some(o => equalBytes(o.address, address)) || tx.inputs.some(i => equalBytes(hash160(i.publicKey), address))
}

/** Where the next history request starts: at a height, or strictly after (height, txid). */
interface Cursor { height: number, txidHex?: string }

/** Is (height, txidHex) strictly after the cursor? txids compare as their lowercase hex, which keeps byte order. */
function after (height: number, txidHex: string, c: Cursor): boolean {
  if (height !== c.height) return height > c.height
  return c.txidHex === undefined || txidHex > c.txidHex
}

/** One peer's knowledge of one address's history. */
interface AddressScan {
  /** Height through which this peer's completed scans claim the whole history (-1: none yet). */
  covered: number
  /** Every transaction this peer proved for this address (to catch it omitting one another peer proved). */
  delivered: Set<string>
  /** The scan in progress: where it started and where it is. */
  active?: { start: number, cursor: Cursor }
}

interface PeerScans {
  byAddress: Map<string, AddressScan>
  /** Caught leaving out history another peer proved: no longer counted as a witness we wait for (for this connection). */
  omitted: boolean
  /** Its last answer named a tip it then served no headers to (cleared by its next answer that we can place). */
  unknownTip: boolean
  task?: Promise<void>
  again: boolean
}

type ScanResult = 'complete' | 'partial' | 'failed'

/** The outcome of checking one reply's proofs. */
interface CheckedProofs {
  verified: VerifiedProof[]
  /** Index of the first proof we could not judge yet (unknown or inactive block); proofs.length when none. */
  deferredAt: number
  /** Proofs found invalid (any one bans the peer). */
  rejected: number
  verdict?: SpvVerdict
}

/**
 * Verifies a reply's proofs against our headers, punishing nobody: the
 * verdict says what the peer earned. Proofs we cannot judge yet (a block
 * we have no header for, or one off our active chain) stop the verified
 * list at the first of them.
 */
function checkProofs (proofs: MerkleProof[], headers: HeaderChain, params: NetworkParams, address?: Uint8Array): CheckedProofs {
  const verified: VerifiedProof[] = []
  let firstInvalid: ValidationError | undefined
  let rejected = 0
  let deferredAt = proofs.length
  let unrequested = 0
  proofs.forEach((proof, i) => {
    try {
      const v = verifyProof(proof, headers, params)
      if (address !== undefined && !touches(v.tx, address)) unrequested++
      else if (i < deferredAt) verified.push(v)
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      if (err.severity === 'reject') {
        rejected++
        firstInvalid ??= err
      } else if (i < deferredAt) {
        // not a failed proof, a deferred one: it is asked for again once our headers catch up
        deferredAt = i
      }
    }
  })
  return { verified, deferredAt, rejected, verdict: proofsVerdict(firstInvalid, unrequested) }
}

export class LightClient {
  private readonly o: Required<Pick<LightClientOptions, 'peersPerQuery' | 'resyncIntervalMs' | 'pagesPerRefresh' | 'peerRefreshMs'>> & LightClientOptions
  /** Connected peers that announced the SPV protocol through identify. */
  private readonly spvCapable = new Set<string>()
  /** Height of the last header each peer showed us (for the peer list). */
  readonly peerHeights = new Map<string, number>()
  private readonly headerSyncs = new Map<string, Promise<void>>()
  /** Per connected peer: its scans of our addresses. */
  private readonly scans = new Map<string, PeerScans>()
  private readonly abort = new AbortController()
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private readonly onTip = (): void => this.scheduleRefresh()
  private readonly onReorg = (r: ReorgInfo): void => this.reorged(r)

  constructor (opts: LightClientOptions) {
    this.o = { peersPerQuery: 3, resyncIntervalMs: 10_000, pagesPerRefresh: 50, peerRefreshMs: 60_000, ...opts }
  }

  /** Call once the host runs (gossip subscriptions need a started pubsub). */
  async start (): Promise<void> {
    const { host, gossip, headers, limits, protocols } = this.o
    const node = host.node
    gossip.subscribe('header', lightHeaderValidator(limits.headerMessageBytes, async (header, from) => await this.onGossipHeader(header, from)))
    node.addEventListener('peer:identify', (evt) => {
      if (evt.detail.protocols.includes(protocols.spv)) this.addSpvPeer(evt.detail.peerId)
    })
    node.addEventListener('peer:disconnect', (evt) => {
      const id = evt.detail.toString()
      this.spvCapable.delete(id)
      this.peerHeights.delete(id)
      // a running scan ends at its next request; its state goes with the peer
      const scans = this.scans.get(id)
      if (scans?.task === undefined) this.scans.delete(id)
    })
    headers.on('tip', this.onTip)
    headers.on('reorg', this.onReorg)
    // peers identified before the listener was in place
    for (const peer of node.getPeers()) {
      const known = await node.peerStore.get(peer).catch(() => undefined)
      if (known?.protocols.includes(protocols.spv) === true) this.addSpvPeer(peer)
    }
    this.timer = setInterval(() => {
      for (const p of this.spvPeers()) void this.syncHeadersFrom(p)
      this.scheduleRefresh()
    }, this.o.resyncIntervalMs)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.abort.abort()
    if (this.timer !== undefined) clearInterval(this.timer)
    this.o.headers.off('tip', this.onTip)
    this.o.headers.off('reorg', this.onReorg)
    await Promise.allSettled([...this.headerSyncs.values(), ...[...this.scans.values()].map(s => s.task)])
  }

  /** Catching up on headers from a peer (proof refreshes run on every tip and do not count). */
  get syncing (): boolean {
    return this.headerSyncs.size > 0
  }

  spvPeers (): PeerId[] {
    return this.o.host.node.getPeers().filter(p => this.spvCapable.has(p.toString()))
  }

  private addSpvPeer (peer: PeerId): void {
    this.spvCapable.add(peer.toString())
    void this.syncHeadersFrom(peer).then(() => this.scheduleRefresh())
  }

  private peerById (id: string): PeerId | undefined {
    return this.spvCapable.has(id) ? this.o.host.node.getPeers().find(p => p.toString() === id) : undefined
  }

  // ---- verdicts -----------------------------------------------------------------

  /** Applies what a check found: the one place the light client bans or penalises a peer. */
  private judge (peer: string, verdict: SpvVerdict): void {
    if (verdict.kind === 'ban') {
      this.o.log.warn('banning peer for invalid SPV data', { peer, reason: verdict.reason, detail: verdict.detail })
      this.o.reputation.ban(peer, verdict.reason)
      return
    }
    const { action, reason } = penaltyOf(verdict)
    this.o.log.info('spv peer penalised', { peer, reason, detail: verdict.detail })
    this.o.reputation.penalize(peer, action, reason)
  }

  // ---- talking to a peer ------------------------------------------------------

  private async request (peer: PeerId, req: SpvRequest, signal: AbortSignal = this.abort.signal): Promise<SpvResponse> {
    const { limits, metrics } = this.o
    const bytes = await rpcRequest(this.o.host.node, peer, this.o.protocols.spv, encodeSpvRequest(req), {
      maxResponseBytes: limits.responseBytes,
      timeoutMs: limits.streamTimeoutMs,
      label: 'spv',
      metrics,
      signal
    })
    try {
      return decodeSpvResponse(bytes, spvLimitsOf(limits, limits.responseBytes))
    } catch (err) {
      // garbage, oversized or non-canonical: nothing an honest server sends
      if (err instanceof DecodeError) this.judge(peer.toString(), decodeVerdict(err))
      throw err
    }
  }

  // ---- headers ------------------------------------------------------------------

  /** Header gossip: our header chain decides; a header that does not connect makes us sync from its sender. */
  private async onGossipHeader (header: BlockHeader, from: string): Promise<GossipOutcome> {
    const known = this.o.headers.get(blockHash(header))
    if (known !== undefined) return accept('known')
    try {
      await this.o.headers.processHeaders([header])
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      if (err.code === 'header-orphan') {
        const peer = this.peerById(from)
        if (peer !== undefined) void this.syncHeadersFrom(peer)
        return ignore('unknown-parent')
      }
      // [REJECT] an invalid header: full nodes relay only headers of blocks they validated
      if (err.severity === 'reject') this.judge(from, ban(`spv-${err.code}`, err.message))
      throw err
    }
    const entry = this.o.headers.get(blockHash(header))
    // [IGNORE] held, not stored: its branch has too little work to win (header-presync.ts)
    if (entry === undefined) return ignore('low-work-branch')
    this.notePeerHeight(from, entry.height)
    return accept()
  }

  private notePeerHeight (peer: string, height: number): void {
    if (height > (this.peerHeights.get(peer) ?? -1)) this.peerHeights.set(peer, height)
  }

  /** Pulls headers from a peer until it has nothing new (one sync per peer at a time). */
  async syncHeadersFrom (peer: PeerId): Promise<void> {
    const id = peer.toString()
    const running = this.headerSyncs.get(id)
    if (running !== undefined) return await running
    const fromHeight = this.o.headers.height
    const run = this.syncHeaders(peer)
      .catch(err => { if (!this.stopped) this.o.log.debug('header sync failed', { peer: id, err: (err as Error).message }) })
      .finally(() => {
        this.headerSyncs.delete(id)
        this.o.headers.releaseHeldHeaders(id)
        // a line for a catch-up, none for the one new header gossip brings anyway
        const height = this.o.headers.height
        if (height - fromHeight > 1) this.o.log.info(`caught up at height ${height}`, { headers: height - fromHeight, peer: id })
      })
    this.headerSyncs.set(id, run)
    await run
  }

  private async syncHeaders (peer: PeerId): Promise<void> {
    const { headers, limits } = this.o
    const id = peer.toString()
    const ask = (locator: Uint8Array[]): Promise<SpvResponse> => {
      const req = this.request(peer, { kind: 'getHeaders', locator, stop: EMPTY, max: limits.headersPerReply })
      req.catch(() => {}) // a prefetch we end up not awaiting must not go unhandled
      return req
    }
    let next: Promise<SpvResponse> | undefined = ask(headers.locator())
    for (let round = 0; round < 100_000 && !this.stopped && next !== undefined; round++) {
      const res: SpvResponse = await next
      next = undefined
      if (res.kind !== 'headers') {
        this.judge(id, penalty('unexpected-reply', res.kind))
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
        if (verdict !== undefined) this.judge(id, verdict)
        return
      }
      const last = headers.get(blockHash(res.headers[res.headers.length - 1]))
      if (last !== undefined) this.notePeerHeight(id, last.height)
      // nothing new: stop instead of asking again for what we have (held low-work headers go on while replies are full)
      if (batch.added.length === 0 && batch.held === 0) return
      if (last === undefined && batch.held === 0) return
    }
  }

  // ---- proofs -----------------------------------------------------------------

  /**
   * Checks a reply's proofs and applies the verdict. Any provably invalid
   * proof bans the peer and drops the whole reply (undefined); valid proofs
   * of transactions we did not ask about cost per proof; proofs we cannot
   * judge yet are left out, and make us sync headers from that peer.
   */
  private judgeProofs (peer: PeerId, proofs: MerkleProof[], address?: Uint8Array): CheckedProofs | undefined {
    const checked = checkProofs(proofs, this.o.headers, this.o.params, address)
    if (checked.rejected > 0) this.o.metrics?.spvProofsRejectedTotal.inc(checked.rejected)
    if (checked.verdict !== undefined) this.judge(peer.toString(), checked.verdict)
    if (checked.verdict?.kind === 'ban') return undefined
    if (checked.deferredAt < proofs.length) this.catchUpWith(peer)
    return checked
  }

  /**
   * Syncs headers from a peer that mentioned a block we do not have, and
   * refreshes only when that brought a new tip (a peer naming blocks that
   * do not exist must not keep us looping).
   */
  private catchUpWith (peer: PeerId, namedTip?: Uint8Array): void {
    const before = this.o.headers.tip
    const known = (): boolean => namedTip === undefined || this.o.headers.get(toHex(namedTip)) !== undefined
    void (async () => {
      await this.syncHeadersFrom(peer)
      // a sync already running may have started before the peer had that tip: judge only after a fresh one
      if (!known() && !this.stopped) await this.syncHeadersFrom(peer)
      if (!known() && !this.stopped) {
        const scans = this.scans.get(peer.toString())
        if (scans !== undefined) scans.unknownTip = true
        this.judge(peer.toString(), penalty('unknown-tip', `named tip ${toHex(namedTip ?? EMPTY)} but served no headers to it`))
      }
      if (this.o.headers.tip !== before) this.scheduleRefresh()
    })()
  }

  /** Checks proofs and keeps the valid ones in memory only (tools and tests; scans use takeProofs); undefined when the peer was banned. */
  acceptProofs (peer: PeerId, proofs: MerkleProof[], address?: Uint8Array): VerifiedProof[] | undefined {
    const checked = this.judgeProofs(peer, proofs, address)
    if (checked === undefined) return undefined
    for (const v of checked.verified) {
      this.o.metrics?.spvProofsVerifiedTotal.inc()
      this.o.proven.add(v, peer.toString())
    }
    return checked.verified
  }

  /** Checks proofs and keeps the valid ones, written to the proof store before they count. */
  private async takeProofs (peer: PeerId, proofs: MerkleProof[], address: Uint8Array): Promise<CheckedProofs | undefined> {
    const checked = this.judgeProofs(peer, proofs, address)
    if (checked === undefined) return undefined
    this.o.metrics?.spvProofsVerifiedTotal.inc(checked.verified.length)
    await this.o.proven.addAll(checked.verified, peer.toString())
    this.crossCheck(peer.toString(), toHex(address), checked.verified)
    return checked
  }

  /**
   * Proofs `from` just delivered, held against every other peer that claimed
   * this address's history complete through their height without them: each
   * such peer pays, and its claim falls back to before the omission so it is
   * asked again from there.
   */
  private crossCheck (from: string, addressHex: string, proofs: VerifiedProof[]): void {
    for (const [id, peer] of this.scans) {
      if (id === from) continue
      const scan = peer.byAddress.get(addressHex)
      if (scan === undefined) continue
      const omitted = proofs.filter(p => p.entry.height <= scan.covered && !scan.delivered.has(p.txidHex))
      if (omitted.length === 0) continue
      const lowest = Math.min(...omitted.map(p => p.entry.height))
      this.judge(id, penalty('omitted-history', `${omitted.length} transactions of ${addressHex} another peer proved at or below height ${scan.covered}, e.g. ${omitted[0].txidHex}`))
      scan.covered = lowest - 1
      peer.omitted = true
    }
  }

  /** The height through which a reply's named tip covers history, when that block is on our active chain. */
  private coveredBy (peer: PeerId, tip: { hash: Uint8Array, height: number } | undefined): number | undefined {
    if (tip === undefined) return undefined
    const entry = this.o.headers.get(toHex(tip.hash))
    if (entry === undefined) {
      // the peer is ahead of us (or on a chain we do not know): its claim counts once our headers show it
      this.catchUpWith(peer, tip.hash)
      return undefined
    }
    const scans = this.scans.get(peer.toString())
    if (scans !== undefined) scans.unknownTip = false
    if (entry.height !== tip.height || !this.o.headers.isActive(entry)) return undefined
    this.notePeerHeight(peer.toString(), entry.height)
    return entry.height
  }

  /**
   * Continues (or starts) `peer`'s scan of one address's history, page by
   * page from its cursor, within the page budget and the signal's deadline.
   */
  private async scanAddress (peer: PeerId, address: Uint8Array, scan: AddressScan, takePage: () => boolean, signal: AbortSignal): Promise<ScanResult> {
    const { limits, headers } = this.o
    const id = peer.toString()
    const hex = toHex(address)
    if (scan.active === undefined) {
      // nothing new for this peer to cover
      if (scan.covered >= headers.height) return 'complete'
      const start = scan.covered + 1
      scan.active = { start, cursor: { height: start } }
    }
    const active = scan.active
    while (!this.stopped && !signal.aborted) {
      if (!takePage()) return 'partial'
      const c = active.cursor
      const res = await this.request(peer, {
        kind: 'getAddressHistory',
        address,
        fromHeight: c.height,
        max: limits.proofsPerReply,
        ...(c.txidHex !== undefined ? { afterTxid: fromHex(c.txidHex) } : {})
      }, signal)
      // a reorg meanwhile reset this scan: what this page says belongs to the old one
      if (scan.active !== active) return 'partial'
      if (res.kind === 'error') return 'failed'
      if (res.kind !== 'proofs') {
        this.judge(id, penalty('unexpected-reply', res.kind))
        return 'failed'
      }
      if (res.more && res.proofs.length === 0) {
        this.judge(id, penalty('empty-page', 'more: true without a proof'))
        return 'failed'
      }
      // [order] strictly after the cursor and in (height, txid) order: cheap, before any proof is verified
      let last: Cursor = c
      for (const p of res.proofs) {
        const txidHex = toHex(txidOf(p.tx))
        if (!after(p.height, txidHex, last)) {
          this.judge(id, penalty('history-out-of-order', `proof at ${p.height}/${txidHex} after ${last.height}/${last.txidHex ?? '-'}`))
          return 'failed'
        }
        last = { height: p.height, txidHex }
      }
      const checked = await this.takeProofs(peer, res.proofs, address)
      if (checked === undefined) return 'failed'
      // the cursor moves past what we checked (valid, or not ours); never past a proof we could not judge yet
      if (checked.deferredAt > 0) {
        const p = res.proofs[checked.deferredAt - 1]
        active.cursor = { height: p.height, txidHex: toHex(txidOf(p.tx)) }
      }
      for (const v of checked.verified) scan.delivered.add(v.txidHex)
      if (checked.deferredAt < res.proofs.length) return 'partial'
      if (res.more) continue
      // complete: through the tip it names, if that is on our chain
      scan.active = undefined
      const through = this.coveredBy(peer, res.tip)
      if (through === undefined || through < active.start - 1) return 'partial'
      const omitted = this.omittedBy(hex, active.start, through, scan.delivered)
      if (omitted.length > 0) {
        const scans = this.scans.get(id)
        if (scans !== undefined) scans.omitted = true
        this.judge(id, penalty('omitted-history', `${omitted.length} proven transactions of ${hex} missing between heights ${active.start} and ${through}, e.g. ${omitted[0]}`))
        return 'failed'
      }
      if (through > scan.covered) scan.covered = through
      return 'complete'
    }
    return 'partial'
  }

  /** Proven transactions of an address within [from, to] of our active chain that a scan did not deliver. */
  private omittedBy (addressHex: string, from: number, to: number, delivered: Set<string>): string[] {
    const { proven, headers } = this.o
    const missing: string[] = []
    for (const hex of proven.txidsOf(addressHex)) {
      const p = proven.get(hex)
      if (p === undefined || !headers.isActive(p.entry)) continue
      if (p.entry.height >= from && p.entry.height <= to && !delivered.has(hex)) missing.push(hex)
    }
    return missing
  }

  /**
   * Height through which every address's history is known complete: for
   * each address, how far connected peers not caught omitting anything
   * covered it, cross-checked: while two such peers serve us, both must
   * have covered it (the lower of the two best); -1 when unknown.
   */
  historyCompleteThrough (): number {
    const wanted = this.witnessesWanted()
    let through = Number.MAX_SAFE_INTEGER
    for (const a of this.o.addresses()) {
      const hex = toHex(a)
      const covered: number[] = []
      for (const [id, peer] of this.scans) {
        if (!this.spvCapable.has(id) || this.o.reputation.isBanned(id) || this.unreliable(id)) continue
        covered.push(peer.byAddress.get(hex)?.covered ?? -1)
      }
      covered.sort((x, y) => y - x)
      through = Math.min(through, covered[wanted - 1] ?? -1)
    }
    return through === Number.MAX_SAFE_INTEGER ? this.o.headers.height : through
  }

  /** A peer whose answers do not count toward the cross-check for now. */
  private unreliable (id: string): boolean {
    const scans = this.scans.get(id)
    return scans !== undefined && (scans.omitted || scans.unknownTip)
  }

  /** Distinct peers that should have proven a payment before it counts: two while two (not caught omitting) serve us. */
  witnessesWanted (): number {
    const serving = this.spvPeers().filter(p => {
      const id = p.toString()
      return !this.o.reputation.isBanned(id) && !this.unreliable(id)
    }).length
    return Math.max(1, Math.min(2, serving))
  }

  /** Asks up to peersPerQuery peers for the history of every address; each peer runs on its own. */
  scheduleRefresh (): void {
    if (this.stopped) return
    for (const peer of this.pickPeers()) this.refreshPeer(peer)
  }

  private refreshPeer (peer: PeerId): void {
    const id = peer.toString()
    let scans = this.scans.get(id)
    if (scans === undefined) this.scans.set(id, scans = { byAddress: new Map(), omitted: false, unknownTip: false, again: false })
    if (scans.task !== undefined) { scans.again = true; return }
    const s = scans
    s.task = this.refreshFrom(peer, s)
      .catch(err => { if (!this.stopped) this.o.log.debug('address history refresh failed', { peer: id, err: (err as Error).message }) })
      .finally(() => {
        s.task = undefined
        if (!this.spvCapable.has(id)) { this.scans.delete(id); return }
        if (s.again && !this.stopped) { s.again = false; this.refreshPeer(peer) }
      })
  }

  /** One peer's refresh: every address, at most pagesPerRefresh pages and peerRefreshMs. */
  private async refreshFrom (peer: PeerId, scans: PeerScans): Promise<void> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.peerRefreshMs)])
    let pages = 0
    const takePage = (): boolean => pages++ < this.o.pagesPerRefresh
    for (const address of this.o.addresses()) {
      if (this.stopped || signal.aborted || this.o.reputation.isBanned(peer.toString())) return
      const hex = toHex(address)
      let scan = scans.byAddress.get(hex)
      if (scan === undefined) scans.byAddress.set(hex, scan = { covered: -1, delivered: new Set() })
      const result = await this.scanAddress(peer, address, scan, takePage, signal)
      if (result === 'failed') return
      // out of pages: go on where we stopped once the others had their turn
      if (result === 'partial' && pages > this.o.pagesPerRefresh) { scans.again = true; return }
    }
  }

  /** Resolves when no refresh or header sync is running (tests, and callers that want fresh proofs). */
  async settled (): Promise<void> {
    for (;;) {
      const running = [...this.headerSyncs.values(), ...[...this.scans.values()].flatMap(s => s.task !== undefined ? [s.task] : [])]
      if (running.length === 0) return
      await Promise.allSettled(running)
    }
  }

  private pickPeers (): PeerId[] {
    const peers = this.spvPeers().filter(p => !this.o.reputation.isBanned(p.toString()))
    // a different subset each time, so one peer cannot keep us from hearing the others
    for (let i = peers.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1))
      ;[peers[i], peers[j]] = [peers[j], peers[i]]
    }
    return peers.slice(0, this.o.peersPerQuery)
  }

  /** Proofs whose block left the active chain are dropped; every peer's coverage falls back to the fork. */
  private reorged (r: ReorgInfo): void {
    const dropped = this.o.proven.recheck()
    this.o.log.warn('header chain reorganisation', { from: r.from.height, to: r.to.height, fork: r.fork.height, droppedProofs: dropped.length })
    const fork = r.fork.height
    for (const peer of this.scans.values()) {
      for (const scan of peer.byAddress.values()) {
        if (scan.covered > fork) scan.covered = fork
        if (scan.active !== undefined && (scan.active.cursor.height > fork || scan.active.start > fork + 1)) scan.active = undefined
      }
    }
    this.scheduleRefresh()
  }

  /** A proof of one transaction from the first peer that has it. */
  async proveTx (id: Uint8Array): Promise<VerifiedProof | undefined> {
    for (const peer of this.pickPeers()) {
      try {
        const res = await this.request(peer, { kind: 'getTxProof', txid: id })
        if (res.kind !== 'proofs') continue
        const checked = this.judgeProofs(peer, res.proofs)
        const found = checked?.verified.find(v => equalBytes(v.txid, id))
        if (found === undefined) continue
        this.o.metrics?.spvProofsVerifiedTotal.inc()
        await this.o.proven.addAll([found], peer.toString())
        return found
      } catch (err) {
        this.o.log.debug('tx proof request failed', { peer: peer.toString(), err: (err as Error).message })
      }
    }
    return undefined
  }
}
