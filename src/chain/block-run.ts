// A run of consecutive blocks connected in one batch: an initial sync hands
// the chain the blocks of a reply together, and writing them once instead of
// once per block takes the wait for each block's write off the critical path
// (BENCHMARKS.md, "Issue 12.4: initial sync in runs of blocks"). As Bitcoin Core
// does not flush its chainstate per block in IBD, but disk first all the
// same: the index tip, the coin cache and every event change only after the
// batch of the whole run is on disk, then block by block in chain order.
//
// Only the plain case takes this path: headers already indexed (headers-first
// sync), each block on the one before, the first on the tip, nothing else
// competing for the tip. Each block is checked as on the single path (header
// precheck, body, inputs against the coins as the blocks before it in the
// run left them, every signature). The run stops before the first block that
// is not the plain case or does not pass; the caller hands that one and the
// rest to the single path, which gives them exactly today's verdicts (a bad
// block is stored and marked invalid, the ones on it refused).
import { blockHash, blockHashHex } from '../core/block.js'
import { toHex } from '../core/bytes.js'
import { blockBytes } from '../core/encoding.js'
import { ValidationError } from '../core/errors.js'
import type { NetworkParams } from '../core/params.js'
import type { Block, BlockHeader } from '../core/types.js'
import { checkBlock } from '../core/validate.js'
import type { SignatureVerifier } from '../crypto/verifier.js'
import { latin1 } from './batch-slab.js'
import { hasData, isInvalid, type BlockIndex, type IndexEntry } from './block-index.js'
import { connectBlock } from './block-connector.js'
import { type BlockBatch, type CoinChanges, dropCancelledCoins, isBlockBatch } from './block-batch.js'
import type { ChainEvents, HeaderPrecheck, ProcessResult } from './chain-types.js'
import type { CoinLookup } from './coin-view.js'
import type { VerifiedTxs } from './verified-txs.js'
import { coinKey, indexRecordOp } from './db-layout.js'
import type { ForkChoice } from './fork-choice.js'
import { COIN_BYTES, decodeCoin, STATUS_HAVE_DATA, type Coin } from './records.js'
import type { BatchPart, ChainStore, StagedBatch } from './store.js'

/**
 * A run's bounds. 16 blocks: a sync reply's most (protocols.ts
 * blocksPerReply), so a run is one reply, already held decoded. 4,000
 * transactions: the run's batch (~6 keys per one-in two-out transaction,
 * plus undo and block bytes) stays the size of one large block's, so a run
 * holds no more memory than the single path does for one full block.
 */
export const RUN_MAX_BLOCKS = 16
export const RUN_MAX_TXS = 4000

/** Splits blocks into runs within the bounds (a block larger than the transaction bound is a run of its own). */
export function splitRuns (blocks: Block[]): Block[][] {
  const runs: Block[][] = []
  let run: Block[] = []
  let txs = 0
  for (const b of blocks) {
    const n = b.transactions.length
    if (run.length > 0 && (run.length >= RUN_MAX_BLOCKS || txs + n > RUN_MAX_TXS)) { runs.push(run); run = []; txs = 0 }
    run.push(b)
    txs += n
  }
  if (run.length > 0) runs.push(run)
  return runs
}

/** What processInRuns needs of the chain. */
export interface RunIntake {
  closed: () => boolean
  /** Stages a run under the chain's lock (BlockRuns.stage). */
  stage: (run: Block[]) => Promise<{ count: number, done: Promise<void> }>
  /** Accepts orphans waiting on these blocks, under the lock. */
  connectOrphans: (hashes: string[]) => Promise<void>
  /** The single path (Chain.processBlock). */
  processBlock: (block: Block) => Promise<ProcessResult>
  /** A block of a run is connected ('processed' event). */
  processed: (hash: string, seconds: number) => void
}

/**
 * Chain.processBlocks: the blocks split into bounded runs; of each run the
 * plain prefix connects in one write, the rest goes through the single path
 * one by one. Each block's verdict in order: its result, or the
 * ValidationError that refused it; the blocks after one refused as invalid
 * are not processed (those built on it are marked invalid with it when it
 * failed to connect).
 */
export async function processInRuns (blocks: Block[], c: RunIntake): Promise<Array<ProcessResult | ValidationError>> {
  const verdicts: Array<ProcessResult | ValidationError> = []
  for (const run of splitRuns(blocks)) {
    if (c.closed()) throw new Error('chain is closed')
    const start = performance.now()
    const { count, done } = await c.stage(run)
    await done
    const hashes = run.slice(0, count).map(b => blockHashHex(b.header))
    // orphans waiting on the run's blocks (rare in a headers-first sync)
    if (count > 0) await c.connectOrphans(hashes)
    for (const hash of hashes) {
      c.processed(hash, (performance.now() - start) / 1000 / count)
      verdicts.push({ status: 'connected', hash })
    }
    for (const block of run.slice(count)) {
      try {
        verdicts.push(await c.processBlock(block))
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
        verdicts.push(err)
        // an invalid block ends the call, as the download drops a reply at its first invalid block
        if (err.severity === 'reject') return verdicts
      }
    }
  }
  return verdicts
}

export interface BlockRunParts {
  index: BlockIndex
  store: ChainStore
  /** The UTXO set as of the tip (the coin cache). */
  coins: Required<CoinLookup>
  /** Transactions whose signatures the mempool verified (verified-txs.ts). */
  verified: VerifiedTxs
  forkChoice: ForkChoice
  verifier: SignatureVerifier
  params: NetworkParams
  precheckHeader: (header: BlockHeader) => HeaderPrecheck
  emit: <K extends keyof ChainEvents>(event: K, ...args: ChainEvents[K]) => void
}

/**
 * The coins as the staged blocks leave them: their creations and spends
 * over those of the run whose write is in flight (until it is on disk), over
 * the tip's set.
 */
class RunCoins implements Required<CoinLookup> {
  /**
   * By latin1 coin key: the coin a staged block created (its encoding, a
   * view of the block's coin buffer: one object per coin alive for the run,
   * not three), or null for one it spent.
   */
  private readonly changed = new Map<string, Uint8Array | null>()

  constructor (private readonly base: Required<CoinLookup>, private previous: RunCoins | undefined) {}

  /** The previous run is on disk and in the coin cache: its layer is no longer needed (so layers never chain up). */
  dropPrevious (): void {
    this.previous = undefined
  }

  getCoin (id: Uint8Array, index: number): Coin | undefined {
    const k = coinKey(id, index)
    return this.getCoinAt(k, latin1(k))
  }

  getCoinAt (k: Uint8Array, s: string): Coin | undefined {
    let c = this.changed.get(s)
    if (c === undefined && this.previous !== undefined) c = this.previous.changed.get(s)
    if (c !== undefined) return c === null ? undefined : decodeCoin(c)
    return this.base.getCoinAt(k, s)
  }

  /** A staged block's coin changes (its batch ops, in order). */
  apply (changes: CoinChanges): void {
    changes.spent.forEach(s => { this.changed.set(s, null) })
    const values = changes.values
    changes.added.forEach((at, s) => { this.changed.set(s, new Uint8Array(values.buffer, values.byteOffset + at, COIN_BYTES)) })
  }
}

interface PendingRun {
  coins: RunCoins
  /** Its last block: the next run builds on it. */
  tip: IndexEntry
  /** Settles once its batch is on disk and memory and events followed (rejects when the write failed). */
  done: Promise<void>
}

/**
 * Runs, pipelined one deep: the next run is checked and staged while the
 * previous run's batch is being written (LevelDB writes on its own thread),
 * on top of that run's coin changes; it starts its own write only once the
 * previous is on disk and applied. So nothing in memory moves ahead of the
 * disk, and at most two runs are held.
 */
export class BlockRuns {
  private pending: PendingRun | undefined

  constructor (private readonly p: BlockRunParts) {}

  /** Resolves once no run's write is in flight and its memory and events are applied (a failed one too). */
  async settled (): Promise<void> {
    while (this.pending !== undefined) await this.pending.done.catch(() => {})
  }

  /**
   * Checks and stages the longest plain prefix of `run` (at most
   * RUN_MAX_BLOCKS and RUN_MAX_TXS), then waits for the run in flight and
   * starts this run's write; call under the chain's lock, and release it
   * then. `done` settles once this run is on disk and each block's
   * 'connect' and 'tip' were emitted, in order. Throws (and `done` rejects)
   * only what is not a verdict on a block: a failed write, after which
   * nothing in memory changed.
   */
  async stage (run: Block[]): Promise<{ count: number, done: Promise<void> }> {
    const { index, store } = this.p
    const previous = this.pending
    const coins = new RunCoins(this.p.coins, previous?.coins)
    // the run's batch, staged once its blocks have passed
    const batch = store.stage()
    let staged: Staged[]
    try {
      staged = await stageRun(run, this.p, batch, coins, previous?.tip ?? index.tip)
      // disk first: the previous run is written and applied before this one is written
      if (previous !== undefined) await previous.done
    } catch (err) {
      batch.discard()
      throw err
    }
    coins.dropPrevious()
    if (staged.length === 0) {
      batch.discard()
      return { count: 0, done: Promise.resolve() }
    }
    // one batch for the whole run (the coin cache follows it in store.onCommitted), then memory and the events
    const done = batch.write().then(() => {
      for (const { block, entry } of staged) {
        entry.status |= STATUS_HAVE_DATA
        index.setTip(entry)
        this.p.emit('connect', block, entry)
        this.p.emit('tip', index.tip)
      }
    })
    const pending: PendingRun = { coins, tip: staged[staged.length - 1].entry, done }
    this.pending = pending
    const clear = (): void => { if (this.pending === pending) this.pending = undefined }
    done.then(clear, clear)
    return { count: staged.length, done }
  }
}

interface Staged { block: Block, entry: IndexEntry }

/** Checks the run's blocks in order and stages each that passes; stops before the first that is not the plain case or fails. */
async function stageRun (run: Block[], p: BlockRunParts, batch: StagedBatch, coins: RunCoins, tip: IndexEntry): Promise<Staged[]> {
  const { index, store, params } = p
  const staged: Staged[] = []
  const parts: BatchPart[] = []
  let txs = 0
  for (const block of run) {
    if (staged.length >= RUN_MAX_BLOCKS || (staged.length > 0 && txs + block.transactions.length > RUN_MAX_TXS)) break
    const existing = index.get(toHex(blockHash(block.header)))
    // headers-first: the header is indexed, on the block before, without data
    if (existing === undefined || existing.parent !== tip || hasData(existing) || isInvalid(existing)) break
    try {
      if (p.precheckHeader(block.header) !== 'header-known') break
      checkBlock(block, params)
    } catch (err) {
      if (err instanceof ValidationError) break
      throw err
    }
    // nothing stored competes with it for the tip (else fork choice decides, on the single path)
    if (!p.forkChoice.wouldConnectFirst(existing)) break
    const entry: IndexEntry = { ...existing, status: existing.status | STATUS_HAVE_DATA }
    let blockOps: BlockBatch
    try {
      blockOps = (await connectBlock(block, entry, store, p.verifier, params, { coins, verified: p.verified })).ops
    } catch (err) {
      if (err instanceof ValidationError) break
      throw err
    }
    coins.apply(blockOps.coins)
    // its data (the bytes it arrived as) and its connection, as connectArriving writes them
    parts.push([indexRecordOp(entry), store.blockDataOp(entry.hash, blockBytes(block))], blockOps)
    staged.push({ block, entry: existing })
    txs += block.transactions.length
    tip = existing
  }
  // staged once the run is known: a coin one of its blocks creates and a later one spends is not written at all
  dropCancelledCoins(parts.filter(isBlockBatch))
  for (const part of parts) batch.add(part)
  return staged
}
