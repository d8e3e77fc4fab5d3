// A run of consecutive blocks connected in one batch: an initial sync hands
// the chain the blocks of a reply together, and writing them once instead of
// once per block takes the wait for each block's write off the critical path
// (BENCHMARKS.md, "ibd_sync_tx: blocks connected in runs"). As Bitcoin Core
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
import { blockHash } from '../core/block.js'
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
import type { ChainEvents, HeaderPrecheck } from './chain-types.js'
import type { CoinLookup } from './coin-view.js'
import { COIN_KEY_BYTES, coinKey, indexRecordOp, key, Prefix } from './db-layout.js'
import type { ForkChoice } from './fork-choice.js'
import { decodeCoin, STATUS_HAVE_DATA, type Coin } from './records.js'
import type { BatchOp, ChainStore, StagedBatch } from './store.js'

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

export interface BlockRunParts {
  index: BlockIndex
  store: ChainStore
  /** The UTXO set as of the tip (the coin cache). */
  coins: Required<CoinLookup>
  forkChoice: ForkChoice
  verifier: SignatureVerifier
  params: NetworkParams
  precheckHeader: (header: BlockHeader) => HeaderPrecheck
  emit: <K extends keyof ChainEvents>(event: K, ...args: ChainEvents[K]) => void
}

/** The coins as the staged blocks leave them: their creations and spends over the tip's set. */
class RunCoins implements Required<CoinLookup> {
  /** By latin1 coin key: the coin a staged block created, or null for one it spent. */
  private readonly changed = new Map<string, Coin | null>()

  constructor (private readonly base: Required<CoinLookup>) {}

  getCoin (id: Uint8Array, index: number): Coin | undefined {
    const k = coinKey(id, index)
    return this.getCoinAt(k, latin1(k))
  }

  getCoinAt (k: Uint8Array, s: string): Coin | undefined {
    const c = this.changed.get(s)
    if (c !== undefined) return c ?? undefined
    return this.base.getCoinAt(k, s)
  }

  /** A staged block's coin changes (its batch ops, in order). */
  apply (ops: readonly BatchOp[]): void {
    for (const op of ops) {
      const k = op.key
      if (k.length !== COIN_KEY_BYTES || k[0] !== Prefix.coin) continue
      this.changed.set(op.text ?? latin1(k), op.type === 'put' ? decodeCoin(op.value) : null)
    }
  }
}

/**
 * Connects the longest plain prefix of `run` (consecutive blocks, at most
 * RUN_MAX_BLOCKS and RUN_MAX_TXS) in one write; returns how many blocks it
 * connected, their 'connect' and 'tip' events emitted in order after the
 * write. Call under the chain's lock. Throws only what is not a verdict on
 * a block (a failed write: then nothing in memory changed).
 */
export async function connectRun (run: Block[], p: BlockRunParts): Promise<number> {
  const { index } = p
  // the run's batch, staged block by block as each passes
  const batch = p.store.stage()
  let staged: Staged[]
  try {
    staged = await stageRun(run, p, batch)
  } catch (err) {
    batch.discard()
    throw err
  }
  if (staged.length === 0) {
    batch.discard()
    return 0
  }
  // disk first: one batch for the whole run (the coin cache follows it in store.onCommitted)
  await batch.write()
  // then memory and the events, block by block in chain order
  for (const { block, entry } of staged) {
    entry.status |= STATUS_HAVE_DATA
    index.setTip(entry)
    p.emit('connect', block, entry)
    p.emit('tip', index.tip)
  }
  return staged.length
}

interface Staged { block: Block, entry: IndexEntry }

/** Checks the run's blocks in order and stages each that passes; stops before the first that is not the plain case or fails. */
async function stageRun (run: Block[], p: BlockRunParts, batch: StagedBatch): Promise<Staged[]> {
  const { index, store, params } = p
  const coins = new RunCoins(p.coins)
  const staged: Staged[] = []
  let tip = index.tip
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
    let blockOps: BatchOp[]
    try {
      blockOps = (await connectBlock(block, entry, store, p.verifier, params, { coins })).ops
    } catch (err) {
      if (err instanceof ValidationError) break
      throw err
    }
    coins.apply(blockOps)
    // its data (the bytes it arrived as) and its connection, as connectArriving writes them
    batch.add([indexRecordOp(entry), { type: 'put', key: key(Prefix.block, entry.hash), value: blockBytes(block) }])
    batch.add(blockOps)
    staged.push({ block, entry: existing })
    txs += block.transactions.length
    tip = existing
  }
  return staged
}
