// The light node's network side over /minicoin/N/spv/1.0.0: header sync from
// peers that speak the protocol, new tips from the header gossip topic, and
// Merkle proofs for the wallet's addresses. Nothing a peer says is believed
// until checked: headers go through our header chain's rules, proofs through
// verifyProof against it. A peer caught sending an invalid header or proof is
// banned and that reply's data dropped.
import type { PeerId } from '@libp2p/interface'
import { blockHash } from '../core/block.js'
import { equalBytes, toHex } from '../core/bytes.js'
import { DecodeError, ValidationError } from '../core/errors.js'
import { hash160 } from '../core/hash.js'
import type { NetworkParams } from '../core/params.js'
import type { BlockHeader, Transaction } from '../core/types.js'
import type { Logger } from '../node/logger.js'
import type { NodeMetrics } from '../node/metrics.js'
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
}

/** Each refresh re-asks the last few blocks: a server a block behind us may have answered without them. */
const RESCAN_DEPTH = 6
const EMPTY = new Uint8Array(0)

function touches (tx: Transaction, address: Uint8Array): boolean {
  return tx.outputs.some(o => equalBytes(o.address, address)) || tx.inputs.some(i => equalBytes(hash160(i.publicKey), address))
}

export class LightClient {
  private readonly o: Required<Pick<LightClientOptions, 'peersPerQuery' | 'resyncIntervalMs'>> & LightClientOptions
  /** Connected peers that announced the SPV protocol through identify. */
  private readonly spvCapable = new Set<string>()
  /** Height of the last header each peer showed us (for the peer list). */
  readonly peerHeights = new Map<string, number>()
  private readonly headerSyncs = new Map<string, Promise<void>>()
  /** Per address (hex): the height the next history request starts at. */
  private readonly scanFrom = new Map<string, number>()
  private refreshing: Promise<void> | undefined
  private refreshAgain = false
  private readonly abort = new AbortController()
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private readonly onTip = (): void => this.scheduleRefresh()
  private readonly onReorg = (r: ReorgInfo): void => this.reorged(r)

  constructor (opts: LightClientOptions) {
    this.o = { peersPerQuery: 3, resyncIntervalMs: 10_000, ...opts }
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
      this.spvCapable.delete(evt.detail.toString())
      this.peerHeights.delete(evt.detail.toString())
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
    await Promise.allSettled([...this.headerSyncs.values(), this.refreshing])
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

  // ---- talking to a peer ------------------------------------------------------

  private ban (peer: string, reason: string, detail: string): void {
    this.o.log.warn('banning peer for invalid SPV data', { peer, reason, detail })
    this.o.reputation.ban(peer, reason)
  }

  private async request (peer: PeerId, req: SpvRequest): Promise<SpvResponse> {
    const { limits, metrics } = this.o
    const bytes = await rpcRequest(this.o.host.node, peer, this.o.protocols.spv, encodeSpvRequest(req), {
      maxResponseBytes: limits.responseBytes,
      timeoutMs: limits.streamTimeoutMs,
      label: 'spv',
      metrics,
      signal: this.abort.signal
    })
    try {
      return decodeSpvResponse(bytes, spvLimitsOf(limits, limits.responseBytes))
    } catch (err) {
      // garbage, oversized or non-canonical: nothing an honest server sends
      if (err instanceof DecodeError) this.ban(peer.toString(), 'spv-bad-response', err.message)
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
      if (err.severity === 'reject') this.ban(from, `spv-${err.code}`, err.message)
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
    const run = this.syncHeaders(peer)
      .catch(err => { if (!this.stopped) this.o.log.debug('header sync failed', { peer: id, err: (err as Error).message }) })
      .finally(() => {
        this.headerSyncs.delete(id)
        this.o.headers.releaseHeldHeaders(id)
      })
    this.headerSyncs.set(id, run)
    await run
  }

  private async syncHeaders (peer: PeerId): Promise<void> {
    const { headers, limits, reputation } = this.o
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
        reputation.penalize(id, 20, 'spv-unexpected-reply')
        return
      }
      if (res.headers.length === 0) return
      // a full reply means more follow: ask for them while these are validated
      const full = res.headers.length >= limits.headersPerReply
      if (full) next = ask([blockHash(res.headers[res.headers.length - 1]), ...headers.locator()])
      let batch
      try {
        batch = await headers.processHeaders(res.headers, id)
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
        if (err.severity === 'reject') this.ban(id, `spv-${err.code}`, err.message)
        // headers that do not connect to our locator: a confused peer, not a provably lying one
        else if (err.code === 'header-orphan') reputation.penalize(id, 20, 'spv-headers-not-connecting')
        // more headers of a branch too weak to be stored than a peer may send (header-presync.ts)
        else if (err.code === 'headers-low-work') reputation.penalize(id, 50, 'spv-low-work-headers')
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
   * Verifies a reply's proofs. Any provably invalid proof bans the peer and
   * drops the whole reply; proofs we cannot judge yet (unknown block) are
   * left out and make us sync headers from that peer. Returns the accepted
   * proofs, or undefined when the peer was banned.
   */
  acceptProofs (peer: PeerId, proofs: MerkleProof[], address?: Uint8Array): VerifiedProof[] | undefined {
    const { headers, params, metrics, reputation, proven } = this.o
    const id = peer.toString()
    const verified: VerifiedProof[] = []
    let firstInvalid: ValidationError | undefined
    let unknownBlock = false
    let unrequested = 0
    for (const proof of proofs) {
      try {
        const v = verifyProof(proof, headers, params)
        if (address !== undefined && !touches(v.tx, address)) unrequested++
        else verified.push(v)
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
        if (err.severity === 'reject') {
          metrics?.spvProofsRejectedTotal.inc()
          firstInvalid ??= err
        } else if (err.code === 'proof-unknown-block') {
          // not a failed proof, a deferred one: it is asked for again once we have the header
          unknownBlock = true
        }
      }
    }
    if (firstInvalid !== undefined) {
      this.ban(id, `spv-${firstInvalid.code}`, firstInvalid.message)
      return undefined
    }
    // valid proofs of transactions we did not ask about: wasted bandwidth
    if (unrequested > 0) reputation.penalize(id, 10 * unrequested, 'spv-unrequested-proof')
    for (const v of verified) {
      metrics?.spvProofsVerifiedTotal.inc()
      proven.add(v)
    }
    if (unknownBlock) void this.syncHeadersFrom(peer).then(() => this.scheduleRefresh())
    return verified
  }

  /** All confirmed history of `address` from `fromHeight` that `peer` has; true when it answered completely. */
  private async scanAddress (peer: PeerId, address: Uint8Array, fromHeight: number): Promise<boolean> {
    const { limits, reputation } = this.o
    let next = fromHeight
    for (let page = 0; page < 10_000 && !this.stopped; page++) {
      const res = await this.request(peer, { kind: 'getAddressHistory', address, fromHeight: next, max: limits.proofsPerReply })
      if (res.kind === 'error') return false
      if (res.kind !== 'proofs') {
        reputation.penalize(peer.toString(), 20, 'spv-unexpected-reply')
        return false
      }
      if (this.acceptProofs(peer, res.proofs, address) === undefined) return false
      if (!res.more) return true
      if (res.proofs.length === 0) {
        reputation.penalize(peer.toString(), 20, 'spv-empty-page')
        return false
      }
      const last = Math.max(...res.proofs.map(p => p.height))
      // A page may end in the middle of a height, so ask from that height
      // again; only a page entirely within one height (more than a whole
      // reply of this address's transactions in one block) moves past it.
      next = last > next ? last : last + 1
    }
    return false
  }

  /** Asks up to peersPerQuery peers for the history of every address; coalesces concurrent calls. */
  scheduleRefresh (): void {
    if (this.stopped) return
    if (this.refreshing !== undefined) { this.refreshAgain = true; return }
    this.refreshing = this.refresh()
      .catch(err => { if (!this.stopped) this.o.log.warn('proof refresh failed', { err: (err as Error).message }) })
      .finally(() => {
        this.refreshing = undefined
        if (this.refreshAgain) { this.refreshAgain = false; this.scheduleRefresh() }
      })
  }

  /** Resolves when no refresh is running or queued (tests, and callers that want fresh proofs). */
  async settled (): Promise<void> {
    while (this.refreshing !== undefined || this.headerSyncs.size > 0) {
      await Promise.allSettled([this.refreshing, ...this.headerSyncs.values()])
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

  private async refresh (): Promise<void> {
    const peers = this.pickPeers()
    if (peers.length === 0) return
    for (const address of this.o.addresses()) {
      if (this.stopped) return
      const hex = toHex(address)
      const before = this.scanFrom.get(hex)
      const target = this.o.headers.height
      const answers = await Promise.all(peers.map(async peer => await this.scanAddress(peer, address, before ?? 0).catch(err => {
        if (!this.stopped) this.o.log.debug('address history request failed', { peer: peer.toString(), err: (err as Error).message })
        return false
      })))
      // a reorg meanwhile lowered the start: keep that
      if (answers.some(Boolean) && this.scanFrom.get(hex) === before) this.scanFrom.set(hex, Math.max(0, target - RESCAN_DEPTH + 1))
    }
  }

  /** Proofs whose block left the active chain are dropped; their addresses are asked again from the fork. */
  private reorged (r: ReorgInfo): void {
    const dropped = this.o.proven.recheck()
    this.o.log.warn('header chain reorganisation', { from: r.from.height, to: r.to.height, fork: r.fork.height, droppedProofs: dropped.length })
    for (const [hex, from] of this.scanFrom) this.scanFrom.set(hex, Math.min(from, r.fork.height + 1))
    this.scheduleRefresh()
  }

  /** A proof of one transaction from the first peer that has it. */
  async proveTx (id: Uint8Array): Promise<VerifiedProof | undefined> {
    for (const peer of this.pickPeers()) {
      try {
        const res = await this.request(peer, { kind: 'getTxProof', txid: id })
        if (res.kind !== 'proofs') continue
        const accepted = this.acceptProofs(peer, res.proofs)
        const found = accepted?.find(v => equalBytes(v.txid, id))
        if (found !== undefined) return found
      } catch (err) {
        this.o.log.debug('tx proof request failed', { peer: peer.toString(), err: (err as Error).message })
      }
    }
    return undefined
  }
}
