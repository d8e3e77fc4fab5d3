// A block's arrival, split out of chain.ts to keep the engine small: the
// checks that decide whether a block is kept at all (header precheck, body,
// parent known, enough work), then whether it is stored alone or stored and
// connected in one batch when it is the next block on the tip; orphans whose
// parent arrives are accepted in turn. The caller (Chain) holds the lock and
// runs fork choice (fork-choice.ts) after each acceptance.
import { blockHash } from '../core/block.js'
import { toHex } from '../core/bytes.js'
import { blockBytes } from '../core/encoding.js'
import { ValidationError } from '../core/errors.js'
import type { NetworkParams } from '../core/params.js'
import { workForBits } from '../core/pow.js'
import type { Block, BlockHeader } from '../core/types.js'
import { checkBlock } from '../core/validate.js'
import type { SignatureVerifier } from '../crypto/verifier.js'
import { BlockIndex, ownedHeader, type IndexEntry } from './block-index.js'
import { cancelPreverify, preverifyBlock } from './block-signatures.js'
import type { HeaderPrecheck, ProcessResult } from './chain-types.js'
import { indexRecordOp } from './db-layout.js'
import type { ForkChoice } from './fork-choice.js'
import { antiDosWorkThreshold } from './header-presync.js'
import type { InvalidBlocks } from './invalid-blocks.js'
import type { OrphanPool } from './orphans.js'
import { STATUS_HAVE_DATA } from './records.js'
import type { VerifiedTxs } from './verified-txs.js'
import type { BatchOp, ChainStore } from './store.js'

export interface BlockAcceptanceParts {
  index: BlockIndex
  store: ChainStore
  orphans: OrphanPool
  invalid: InvalidBlocks
  forkChoice: ForkChoice
  verifier: SignatureVerifier
  /** Transactions whose signatures the mempool verified (verified-txs.ts). */
  verified: VerifiedTxs
  params: NetworkParams
  /** The header checks against the index (Chain.precheckHeader). */
  precheckHeader: (header: BlockHeader) => HeaderPrecheck
  /** Told of each block that enters the index, so the best header stays current. */
  noteHeader: (entry: IndexEntry) => void
}

export class BlockAcceptance {
  constructor (private readonly p: BlockAcceptanceParts) {}

  /** Checks and stores one block (or holds it as an orphan); the caller holds the chain lock. */
  async accept (block: Block): Promise<ProcessResult> {
    const { index, orphans, invalid, params } = this.p
    const hash = blockHash(block.header)
    const hashHex = toHex(hash)
    let precheck: HeaderPrecheck
    try {
      precheck = this.p.precheckHeader(block.header)
    } catch (err) {
      if (err instanceof ValidationError && err.code === 'block-invalid-parent') invalid.remember(hashHex, err)
      throw err
    }
    if (precheck === 'duplicate') return { status: 'duplicate', hash: hashHex }
    const existing = index.get(hashHex)
    const parent = index.get(toHex(block.header.prevHash))
    // A block on the tip connects next: its signatures start verifying now
    // (they need no chain state), so the workers begin while this thread
    // runs the body checks and then stores and connects the block. A block
    // that fails those checks has its verification cancelled; its verdict
    // is theirs. (The header, proof of work included, passed already.)
    if (parent !== undefined && parent === index.tip) preverifyBlock(block, this.p.verifier, params, this.p.verified)
    try {
      // the body: size, Merkle root, every transaction's stateless rules
      checkBlock(block, params)
      if (parent === undefined) {
        orphans.add(block)
        return { status: 'orphan', hash: hashHex, missing: orphans.rootOf(hashHex) }
      }
      // [IGNORE] a block on a branch that cannot win is not stored (the header
      // anti-DoS rule of processHeaders; Core stores no unrequested block with
      // less work than its tip)
      const work = existing?.work ?? parent.work + workForBits(block.header.bits)
      if (work < antiDosWorkThreshold(index.tip)) throw new ValidationError('block-low-work', `block ${hashHex} is on a branch with too little work to be stored`, 'ignore')
    } catch (err) {
      // (a download may have started it too, before it reached the chain)
      cancelPreverify(block)
      throw err
    }
    // Disk first, then memory: the index learns of the block (or that it has
    // its data) only once its record and bytes are stored, so a failed write
    // leaves no trace that a later block or a peer could build on.
    const entry: IndexEntry = existing === undefined
      ? BlockIndex.create(ownedHeader(block.header), parent, STATUS_HAVE_DATA)
      : { ...existing, status: existing.status | STATUS_HAVE_DATA }
    const dataOps: BatchOp[] = [
      indexRecordOp(entry),
      // the bytes the block arrived as (canonical: the decoder checked), not encoded again, to the block files now
      this.p.store.blockDataOp(entry.hash, blockBytes(block))
    ]
    const remember = (): IndexEntry => {
      if (existing === undefined) {
        index.insert(entry)
        this.p.noteHeader(entry)
      } else {
        existing.status = entry.status
      }
      return existing ?? entry
    }
    // the next block of the active chain (a sync, a new block): its data and
    // its connection go to disk in one batch
    if (parent === index.tip && this.p.forkChoice.wouldConnectFirst(entry)) {
      await this.p.forkChoice.connectArriving(entry, block, dataOps, remember)
      return { status: 'pending', hash: hashHex }
    }
    await this.p.store.write(dataOps)
    this.p.forkChoice.stored(remember(), block)
    return { status: 'pending', hash: hashHex }
  }

  /** Accepts the orphans waiting on `parentHex`, then theirs, activating the best chain after each. */
  async connectOrphans (parentHex: string): Promise<void> {
    const queue = [parentHex]
    while (queue.length > 0) {
      for (const child of this.p.orphans.takeChildren(queue.shift()!)) {
        try {
          const r = await this.accept(child)
          await this.p.forkChoice.activateBestChain()
          queue.push(r.hash)
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err
        }
      }
    }
  }
}
