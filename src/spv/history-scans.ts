// Address history, scanned per peer: each peer has its own (height, txid)
// cursor per address that only moves forward, and its answer counts as
// complete only through the tip it names, and only when that block is on our
// own active chain. A page that makes no progress, or goes backwards, is a
// protocol violation. Each peer's refresh runs on its own, bounded in pages
// and time, so a slow or stalling peer holds up nobody else. When a peer's
// completed scan lacks a transaction another peer proved inside the range it
// claims complete, it costs the omitter.
import type { PeerId } from '@libp2p/interface'
import { fromHex, toHex } from '../core/bytes.js'
import { txid as txidOf } from '../core/tx.js'
import type { Logger } from '../telemetry/logger.js'
import type { WireLimits } from '../p2p/protocols.js'
import type { PeerReputation } from '../p2p/reputation.js'
import type { HeaderChain } from './header-chain.js'
import type { VerifiedProof } from './proof-verifier.js'
import type { ProofIntake } from './proof-intake.js'
import type { ProvenTransactions } from './proven-txs.js'
import type { SpvHeaderSync } from './spv-header-sync.js'
import type { SpvPeers } from './spv-peers.js'
import { penalty } from './spv-verdicts.js'
import { deadlineSignal } from '../p2p/deadline-signal.js'

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

export interface HistoryScansOptions {
  peers: SpvPeers
  headerSync: SpvHeaderSync
  intake: ProofIntake
  headers: HeaderChain
  proven: ProvenTransactions
  limits: WireLimits
  reputation: PeerReputation
  log: Logger
  /** Address hashes to follow; read on every refresh, so new wallet addresses are picked up. */
  addresses: () => Uint8Array[]
  /** History pages one peer's refresh may ask for (it continues at the next refresh). */
  pagesPerRefresh: number
  /** Time one peer's refresh may take. */
  peerRefreshMs: number
}

export class HistoryScans {
  /** Per connected peer: its scans of our addresses. */
  private readonly scans = new Map<string, PeerScans>()

  constructor (private readonly o: HistoryScansOptions) {}

  /** The refreshes in flight. */
  inFlight (): Array<Promise<void>> {
    return [...this.scans.values()].flatMap(s => s.task !== undefined ? [s.task] : [])
  }

  /** A peer left: a running scan ends at its next request; its state goes with the peer. */
  forget (id: string): void {
    if (this.scans.get(id)?.task === undefined) this.scans.delete(id)
  }

  /** Starts a refresh from `peer` (or asks the running one to go again when done). */
  refreshPeer (peer: PeerId): void {
    const id = peer.toString()
    let scans = this.scans.get(id)
    if (scans === undefined) this.scans.set(id, scans = { byAddress: new Map(), omitted: false, unknownTip: false, again: false })
    if (scans.task !== undefined) { scans.again = true; return }
    const s = scans
    s.task = this.refreshFrom(peer, s)
      .catch(err => { if (!this.o.peers.stopped) this.o.log.debug('address history refresh failed', { peer: id, err: (err as Error).message }) })
      .finally(() => {
        s.task = undefined
        if (!this.o.peers.has(id)) { this.scans.delete(id); return }
        if (s.again && !this.o.peers.stopped) { s.again = false; this.refreshPeer(peer) }
      })
  }

  /** After a reorg to `fork`: every peer's coverage falls back to the fork, scans past it restart. */
  rewindTo (fork: number): void {
    for (const peer of this.scans.values()) {
      for (const scan of peer.byAddress.values()) {
        if (scan.covered > fork) scan.covered = fork
        if (scan.active !== undefined && (scan.active.cursor.height > fork || scan.active.start > fork + 1)) scan.active = undefined
      }
    }
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
        if (!this.o.peers.has(id) || this.o.reputation.isBanned(id) || this.unreliable(id)) continue
        covered.push(peer.byAddress.get(hex)?.covered ?? -1)
      }
      covered.sort((x, y) => y - x)
      through = Math.min(through, covered[wanted - 1] ?? -1)
    }
    return through === Number.MAX_SAFE_INTEGER ? this.o.headers.height : through
  }

  /** Distinct peers that should have proven a payment before it counts: two while two (not caught omitting) serve us. */
  witnessesWanted (): number {
    const serving = this.o.peers.connected().filter(p => {
      const id = p.toString()
      return !this.o.reputation.isBanned(id) && !this.unreliable(id)
    }).length
    return Math.max(1, Math.min(2, serving))
  }

  /** A peer whose answers do not count toward the cross-check for now. */
  private unreliable (id: string): boolean {
    const scans = this.scans.get(id)
    return scans !== undefined && (scans.omitted || scans.unknownTip)
  }

  /** One peer's refresh: every address, at most pagesPerRefresh pages and peerRefreshMs. */
  private async refreshFrom (peer: PeerId, scans: PeerScans): Promise<void> {
    const deadline = deadlineSignal(this.o.peerRefreshMs, this.o.peers.signal)
    try {
      await this.refreshWithin(peer, scans, deadline.signal)
    } finally {
      deadline.clear()
    }
  }

  /** refreshFrom within its deadline, `signal`. */
  private async refreshWithin (peer: PeerId, scans: PeerScans, signal: AbortSignal): Promise<void> {
    let pages = 0
    const takePage = (): boolean => pages++ < this.o.pagesPerRefresh
    for (const address of this.o.addresses()) {
      if (this.o.peers.stopped || signal.aborted || this.o.reputation.isBanned(peer.toString())) return
      const hex = toHex(address)
      let scan = scans.byAddress.get(hex)
      if (scan === undefined) scans.byAddress.set(hex, scan = { covered: -1, delivered: new Set() })
      const result = await this.scanAddress(peer, address, scan, takePage, signal)
      if (result === 'failed') return
      // out of pages: go on where we stopped once the others had their turn
      if (result === 'partial' && pages > this.o.pagesPerRefresh) { scans.again = true; return }
    }
  }

  /**
   * Continues (or starts) `peer`'s scan of one address's history, page by
   * page from its cursor, within the page budget and the signal's deadline.
   */
  private async scanAddress (peer: PeerId, address: Uint8Array, scan: AddressScan, takePage: () => boolean, signal: AbortSignal): Promise<ScanResult> {
    const { limits, headers, peers } = this.o
    const id = peer.toString()
    const hex = toHex(address)
    if (scan.active === undefined) {
      // nothing new for this peer to cover
      if (scan.covered >= headers.height) return 'complete'
      const start = scan.covered + 1
      scan.active = { start, cursor: { height: start } }
    }
    const active = scan.active
    while (!peers.stopped && !signal.aborted) {
      if (!takePage()) return 'partial'
      const c = active.cursor
      const res = await peers.request(peer, {
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
        peers.judge(id, penalty('unexpected-reply', res.kind))
        return 'failed'
      }
      if (res.more && res.proofs.length === 0) {
        peers.judge(id, penalty('empty-page', 'more: true without a proof'))
        return 'failed'
      }
      // [order] strictly after the cursor and in (height, txid) order: cheap, before any proof is verified
      let last: Cursor = c
      for (const p of res.proofs) {
        const txidHex = toHex(txidOf(p.tx))
        if (!after(p.height, txidHex, last)) {
          peers.judge(id, penalty('history-out-of-order', `proof at ${p.height}/${txidHex} after ${last.height}/${last.txidHex ?? '-'}`))
          return 'failed'
        }
        last = { height: p.height, txidHex }
      }
      const checked = await this.o.intake.take(peer, res.proofs, address)
      if (checked === undefined) return 'failed'
      this.crossCheck(id, hex, checked.verified)
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
        peers.judge(id, penalty('omitted-history', `${omitted.length} proven transactions of ${hex} missing between heights ${active.start} and ${through}, e.g. ${omitted[0]}`))
        return 'failed'
      }
      if (through > scan.covered) scan.covered = through
      return 'complete'
    }
    return 'partial'
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
      this.o.peers.judge(id, penalty('omitted-history', `${omitted.length} transactions of ${addressHex} another peer proved at or below height ${scan.covered}, e.g. ${omitted[0].txidHex}`))
      scan.covered = lowest - 1
      peer.omitted = true
    }
  }

  /** The height through which a reply's named tip covers history, when that block is on our active chain. */
  private coveredBy (peer: PeerId, tip: { hash: Uint8Array, height: number } | undefined): number | undefined {
    if (tip === undefined) return undefined
    const scans = this.scans.get(peer.toString())
    const entry = this.o.headers.get(toHex(tip.hash))
    if (entry === undefined) {
      // the peer is ahead of us (or on a chain we do not know): its claim counts once our headers show it
      this.o.headerSync.catchUpWith(peer, tip.hash, () => { if (scans !== undefined) scans.unknownTip = true })
      return undefined
    }
    if (scans !== undefined) scans.unknownTip = false
    if (entry.height !== tip.height || !this.o.headers.isActive(entry)) return undefined
    this.o.headerSync.notePeerHeight(peer.toString(), entry.height)
    return entry.height
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
}
