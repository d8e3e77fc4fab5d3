// Anti-DoS rule for headers, after Bitcoin Core's headers presync
// (net_processing's HeadersSyncState) and GetAntiDoSWorkThreshold().
//
// Headers are cheap to make on a branch of low difficulty (a fork from
// genesis costs a few hashes per header), so a header that merely connects
// is not worth a byte of disk. A branch's headers are written only once the
// branch can win: its work reaches the active tip's work minus
// NEAR_TIP_WINDOW blocks of the tip's difficulty (Core: 144 blocks), which
// also admits ordinary forks just below the tip. Until then the branch's
// headers are fully checked (proof of work, bits by the retarget rule, time)
// and held in memory for the peer that sent them, 80 bytes each, bounded per
// peer and in total; a peer that sends more low-work headers than its
// allowance gets 'headers-low-work' and its branch is dropped.
//
// Core's presync keeps only a commitment per ~600 headers and downloads the
// branch again once it proves enough work, which bounds memory for any
// depth. This simpler version holds the headers themselves, so a fork that
// must travel more than PRESYNC_HEADERS_PER_PEER headers before it can win
// (a reorg deeper than that many blocks at our difficulty) is not followed.
//
// The same code serves the full node's chain and the light client's header
// chain; each supplies its index, tip and what it knows to be invalid.
import { blockHash } from '../core/block.js'
import { toHex } from '../core/bytes.js'
import { checkHeaderContext, type AncestorLookup } from '../core/contextual.js'
import { parseHeader, serializeHeader } from '../core/encoding.js'
import { ValidationError } from '../core/errors.js'
import type { NetworkParams } from '../core/params.js'
import { workForBits } from '../core/pow.js'
import type { BlockHeader } from '../core/types.js'
import { checkHeaderPow } from '../core/validate.js'
import { BlockIndex, type IndexEntry } from './block-index.js'

/** Blocks below the tip within which a fork is stored at once (Core: 144). */
export const NEAR_TIP_WINDOW = 144
/** Low-work headers one peer may have us check and hold (80 bytes each: 1.6 MB). */
export const PRESYNC_HEADERS_PER_PEER = 20_000
/** Low-work headers held for all peers together (6.4 MB). */
export const PRESYNC_HEADERS_TOTAL = 80_000
/** Peers whose low-work header count is remembered (oldest forgotten first). */
const MAX_COUNTED_PEERS = 1024
const HEADER_BYTES = 80

/**
 * The least work a branch needs before its headers are stored: the tip's
 * work minus NEAR_TIP_WINDOW blocks at the tip's difficulty (Core's
 * GetAntiDoSWorkThreshold; minicoin has no hard-coded minimum chain work).
 */
export function antiDosWorkThreshold (tip: IndexEntry): bigint {
  const window = BigInt(NEAR_TIP_WINDOW) * workForBits(tip.header.bits)
  return tip.work > window ? tip.work - window : 0n
}

/** A peer's branch of checked headers that cannot win yet, kept as 80-byte records. */
class PendingBranch {
  private bytes = new Uint8Array(0)
  count = 0
  tipHashHex: string
  tipWork: bigint

  constructor (readonly fork: IndexEntry) {
    this.tipHashHex = fork.hashHex
    this.tipWork = fork.work
  }

  get tipHeight (): number {
    return this.fork.height + this.count
  }

  /** Makes room for `more` headers: exactly, so memory is 80 bytes a held header (a reply adds up to 2,000 at once). */
  reserve (more: number): void {
    const need = (this.count + more) * HEADER_BYTES
    if (need <= this.bytes.length) return
    const grown = new Uint8Array(need)
    grown.set(this.bytes.subarray(0, this.count * HEADER_BYTES))
    this.bytes = grown
  }

  append (header: BlockHeader, hashHex: string, work: bigint): void {
    this.reserve(1)
    this.bytes.set(serializeHeader(header), this.count * HEADER_BYTES)
    this.count++
    this.tipHashHex = hashHex
    this.tipWork = work
  }

  /** Time and bits of the held header at `height` (fork.height < height <= tipHeight). */
  timeAndBits (height: number): { time: number, bits: number } {
    const offset = (height - this.fork.height - 1) * HEADER_BYTES
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + offset, HEADER_BYTES)
    return { time: view.getUint32(68, true), bits: view.getUint32(72, true) }
  }

  headers (): BlockHeader[] {
    const out: BlockHeader[] = []
    for (let i = 0; i < this.count; i++) out.push(parseHeader(this.bytes.subarray(i * HEADER_BYTES, (i + 1) * HEADER_BYTES)))
    return out
  }
}

export interface PresyncHooks {
  /** Throws the ValidationError for a header known invalid or building on one. */
  refuseInvalid: (hashHex: string, parentHex: string) => void
}

export interface BatchCheck {
  /** Checked entries to write, parents first; made by BlockIndex.create, not yet in the index. */
  store: IndexEntry[]
  /** Headers of this batch held in memory because their branch cannot win yet. */
  held: number
  /** The first failure; headers before it are in `store` or held. */
  failure?: ValidationError
  /** Hash of a header found invalid by the checks (its sender is at fault). */
  invalidHashHex?: string
}

interface Checked { header: BlockHeader, hashHex: string, work: bigint }

export class HeaderPresync {
  private readonly branches = new Map<string, PendingBranch>()
  /** Low-work headers each peer has sent (kept across branches until forget()). */
  private readonly received = new Map<string, number>()
  private total = 0
  /** The most headers ever held at once (for tests and metrics). */
  peakHeld = 0

  constructor (
    private readonly params: NetworkParams,
    private readonly perPeer = PRESYNC_HEADERS_PER_PEER,
    private readonly totalCap = PRESYNC_HEADERS_TOTAL
  ) {}

  /** Headers held for all peers. */
  get held (): number {
    return this.total
  }

  heldBy (peer: string): number {
    return this.branches.get(peer)?.count ?? 0
  }

  /** Drops a peer's held branch (its sync ended without the branch winning). */
  release (peer: string): void {
    const b = this.branches.get(peer)
    if (b === undefined) return
    this.total -= b.count
    this.branches.delete(peer)
  }

  /** Forgets a peer entirely (it disconnected). */
  forget (peer: string): void {
    this.release(peer)
    this.received.delete(peer)
  }

  /**
   * Checks a batch of headers from `peer`: a run of headers, each building
   * on the one before, the first on a stored header or on the end of the
   * peer's held branch. Returns what to store (the branch can win), what
   * was held (it cannot yet), and the first failure. Never throws a
   * ValidationError; never touches the index.
   */
  check (peer: string, headers: BlockHeader[], index: BlockIndex, tip: IndexEntry, now: number, hooks: PresyncHooks): BatchCheck {
    const out: BatchCheck = { store: [], held: 0 }
    let branch: PendingBranch | undefined
    const fresh: Checked[] = []
    let i = 0
    let prevHex: string | undefined
    try {
      // headers we already store (a reply overlapping what we have)
      for (; i < headers.length; i++) {
        const h = headers[i]
        const hashHex = toHex(blockHash(h))
        const parentHex = toHex(h.prevHash)
        // [REJECT] a reply is one chain: each header builds on the one before (Core: non-continuous headers)
        if (prevHex !== undefined && parentHex !== prevHex) throw new ValidationError('headers-not-continuous', `header ${hashHex} does not build on the header before it`)
        // [REJECT] known invalid, or builds on a known invalid header
        hooks.refuseInvalid(hashHex, parentHex)
        if (index.get(hashHex) === undefined) break
        prevHex = hashHex
      }
      if (i === headers.length) return out
      const parentHex = toHex(headers[i].prevHash)
      const held = this.branches.get(peer)
      if (held !== undefined && held.count > 0 && held.tipHashHex === parentHex) {
        // [REJECT] the stored header the branch forks from was found invalid meanwhile
        hooks.refuseInvalid(held.fork.hashHex, toHex(held.fork.header.prevHash))
        branch = held
      } else {
        const parent = index.get(parentHex)
        // [IGNORE] does not connect to a stored header or to this peer's held branch
        if (parent === undefined) throw new ValidationError('header-orphan', `header ${toHex(blockHash(headers[i]))} does not connect`, 'ignore')
        branch = new PendingBranch(parent)
      }
      const b = branch
      const lookup: AncestorLookup = {
        ancestor: (height: number) => {
          if (height <= b.fork.height) return index.ancestor(b.fork, height).header
          if (height <= b.tipHeight) return b.timeAndBits(height)
          return fresh[height - b.tipHeight - 1].header
        }
      }
      let work = branch.tipWork
      for (; i < headers.length; i++) {
        const h = headers[i]
        const hashHex = toHex(blockHash(h))
        const parentHex = toHex(h.prevHash)
        const expected = fresh.length > 0 ? fresh[fresh.length - 1].hashHex : branch.tipHashHex
        if (parentHex !== expected) throw new ValidationError('headers-not-continuous', `header ${hashHex} does not build on the header before it`)
        hooks.refuseInvalid(hashHex, parentHex)
        try {
          // [REJECT] version, hash lengths, bits within the limit, proof of work
          checkHeaderPow(h, this.params)
          // [REJECT] bits other than the retarget rule gives, time not after the median; [IGNORE] time too far ahead
          checkHeaderContext(h, branch.tipHeight + fresh.length + 1, lookup, this.params, now)
        } catch (err) {
          if (err instanceof ValidationError && err.severity === 'reject') out.invalidHashHex = hashHex
          throw err
        }
        work += workForBits(h.bits)
        fresh.push({ header: h, hashHex, work })
      }
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      out.failure = err
    }
    if (branch === undefined || fresh.length === 0) return out
    const tipWork = fresh[fresh.length - 1].work
    if (tipWork >= antiDosWorkThreshold(tip)) {
      // the branch can win: store all of it, from its fork on
      let parent = branch.fork
      for (const h of branch.headers()) out.store.push(parent = BlockIndex.create(h, parent, 0))
      for (const f of fresh) out.store.push(parent = BlockIndex.create(f.header, parent, 0))
      this.release(peer)
      return out
    }
    // a peer that sent an invalid header loses what it had us hold
    if (out.failure !== undefined && out.failure.severity === 'reject') {
      this.release(peer)
      return out
    }
    const count = (this.received.get(peer) ?? 0) + fresh.length
    this.received.delete(peer)
    this.received.set(peer, count)
    while (this.received.size > MAX_COUNTED_PEERS) this.received.delete(this.received.keys().next().value as string)
    if (count > this.perPeer) {
      this.release(peer)
      out.failure = new ValidationError('headers-low-work', `more than ${this.perPeer} headers on branches with too little work to be stored`, 'ignore')
      return out
    }
    if (branch !== this.branches.get(peer)) this.release(peer)
    branch.reserve(fresh.length)
    for (const f of fresh) branch.append(f.header, f.hashHex, f.work)
    // most recently extended last, so the oldest branch is evicted first
    this.branches.delete(peer)
    this.branches.set(peer, branch)
    this.total += fresh.length
    out.held = fresh.length
    while (this.total > this.totalCap && this.branches.size > 1) {
      const oldest = this.branches.keys().next().value as string
      this.release(oldest)
    }
    this.peakHeld = Math.max(this.peakHeld, this.total)
    return out
  }
}
