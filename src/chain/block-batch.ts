// A block's batch without an object per op. A block of 3,000 transactions
// has ~21,000 ops (coins spent and created, tx locations, address history);
// as objects, each with its key and value views, they were ~60,000 small
// objects that lived until the write, and the collector copied them at every
// scavenge of the connect (BENCHMARKS.md, issue 12 session 7). Here the
// keys and values are bytes in one buffer and an op is four numbers in an
// Int32Array; the views LevelDB is handed are made at staging and die young.
// The coin changes stay as the coin view built them (latin1 keys, encoded
// values in one buffer): the coin cache and a run of blocks read them there.
import type { BatchOp } from './db-layout.js'

const INITIAL_BYTES = 16 * 1024
const INITIAL_OPS = 256

// Keys and values handed to a sink that copies them before it returns
// (LevelDB's chained batch: its binding copies both into the native batch
// at once) are copied into one array per length, reused for every op: a
// block of 21,000 ops made ~3.6 MB of views a connect otherwise
// (BENCHMARKS.md, issue 12 session 8). Every key and value of a block's
// ops but the undo record is at most 64 bytes.
const REUSED_MAX = 64
const reusedKeys = Array.from({ length: REUSED_MAX + 1 }, (_, n) => new Uint8Array(n))
const reusedValues = Array.from({ length: REUSED_MAX + 1 }, (_, n) => new Uint8Array(n))

/** bytes[at, at + out.length) copied into `out` (a loop: shorter than any native call for ~40 bytes). */
function copyOut (out: Uint8Array, bytes: Uint8Array, at: number): Uint8Array {
  for (let j = 0; j < out.length; j++) out[j] = bytes[at + j]
  return out
}

const DEL = -1
const DROPPED = -2

/** Ops whose keys and values are ranges of one buffer; a del has valueLen -1, a dropped op -2. */
export class PackedOps {
  /** Off the heap (allocUnsafeSlow): LevelDB's binding reads views of it without moving it. */
  bytes: Buffer
  private used = 0
  /** keyAt, keyLen, valueAt, valueLen per op. */
  private meta: Int32Array
  count = 0

  constructor (bytes = INITIAL_BYTES, ops = INITIAL_OPS) {
    this.bytes = Buffer.allocUnsafeSlow(Math.max(64, bytes))
    this.meta = new Int32Array(Math.max(4, ops) * 4)
  }

  /** `n` bytes to write into `this.bytes` at the returned offset (re-read `bytes` after a call: it may grow). */
  reserve (n: number): number {
    if (this.used + n > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.used + n))
      this.bytes.copy(grown, 0, 0, this.used)
      this.bytes = grown
    }
    const at = this.used
    this.used += n
    return at
  }

  put (keyAt: number, keyLen: number, valueAt: number, valueLen: number): void {
    this.push(keyAt, keyLen, valueAt, valueLen)
  }

  del (keyAt: number, keyLen: number): void {
    this.push(keyAt, keyLen, 0, DEL)
  }

  /** Op `i` is not written after all (a coin a run both created and spent): stageInto skips it. */
  drop (i: number): void {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`no op ${i} of ${this.count} to drop`)
    this.meta[i * 4 + 3] = DROPPED
  }

  /** A put of `key` and `value` copied in (for the few ops that arrive as arrays). */
  putBytes (key: Uint8Array, value: Uint8Array): void {
    const k = this.reserve(key.length + value.length)
    this.bytes.set(key, k)
    this.bytes.set(value, k + key.length)
    this.push(k, key.length, k + key.length, value.length)
  }

  delBytes (key: Uint8Array): void {
    const k = this.reserve(key.length)
    this.bytes.set(key, k)
    this.push(k, key.length, 0, DEL)
  }

  /**
   * Hands every op to `sink` in order: as arrays reused from op to op when
   * the sink copies them at once (`sink.copies`), else as views of the
   * buffer that the sink may keep.
   */
  stageInto (sink: OpSink): void {
    const { bytes, meta } = this
    const buffer = bytes.buffer
    const base = bytes.byteOffset
    const reuse = sink.copies === true
    for (let i = 0, m = 0; i < this.count; i++, m += 4) {
      const valueLen = meta[m + 3]
      if (valueLen === DROPPED) continue
      const keyLen = meta[m + 1]
      const key = reuse && keyLen <= REUSED_MAX ? copyOut(reusedKeys[keyLen], bytes, meta[m]) : new Uint8Array(buffer, base + meta[m], keyLen)
      if (valueLen === DEL) sink.del(key)
      else sink.put(key, reuse && valueLen <= REUSED_MAX ? copyOut(reusedValues[valueLen], bytes, meta[m + 2]) : new Uint8Array(buffer, base + meta[m + 2], valueLen))
    }
  }

  /** The ops as objects (a disconnect, which is rare, writes them as an array). */
  toOps (): BatchOp[] {
    const ops: BatchOp[] = []
    this.stageInto({ put: (key, value) => ops.push({ type: 'put', key, value }), del: key => ops.push({ type: 'del', key }) })
    return ops
  }

  private push (keyAt: number, keyLen: number, valueAt: number, valueLen: number): void {
    let m = this.count * 4
    if (m + 4 > this.meta.length) {
      const grown = new Int32Array(this.meta.length * 2)
      grown.set(this.meta)
      this.meta = grown
    }
    const meta = this.meta
    meta[m++] = keyAt
    meta[m++] = keyLen
    meta[m++] = valueAt
    meta[m] = valueLen
    this.count++
  }
}

export interface OpSink {
  put: (key: Uint8Array, value: Uint8Array) => void
  del: (key: Uint8Array) => void
  /** The sink copies key and value before put/del returns and keeps no reference: they may be reused for the next op. */
  copies?: boolean
}

/**
 * Coin changes of a block, as its coin view made them: the latin1 keys of
 * stored coins it spent, and the coins it created (latin1 key to the offset
 * of the encoded coin in `values`, a buffer sized to them: the coin cache
 * keeps views of it, so it holds nothing else).
 */
export interface CoinChanges {
  readonly spent: ReadonlySet<string>
  readonly added: ReadonlyMap<string, number>
  readonly values: Uint8Array
}

/**
 * One block's connection as it is staged: `ops` (its indexes and undo data,
 * then its coin deletes and puts, then height and tip) and the coin changes
 * among them for whoever follows the UTXO set in memory (the coin cache, a
 * run's layer). `coinOpsAt`: the op index of the first coin delete; one
 * delete per key of `coins.spent`, then one put per key of `coins.added`,
 * each in that collection's order.
 */
export class BlockBatch {
  constructor (readonly ops: PackedOps, readonly coins: CoinChanges, readonly coinOpsAt: number) {}

  stageInto (sink: OpSink): void {
    this.ops.stageInto(sink)
  }
}

export function isBlockBatch (x: readonly BatchOp[] | BlockBatch): x is BlockBatch {
  return x instanceof BlockBatch
}

/** Op indexes of one run are block * RUN_OPS + op (a block's ops are far fewer). */
const RUN_OPS = 2 ** 32

/**
 * Drops the coin ops that cancel out within one atomic batch of blocks in
 * chain order: a coin one block creates and a later block spends is neither
 * put nor deleted (Bitcoin Core's FRESH coins: a coin created and spent
 * between two flushes never reaches the disk). The batch is written whole or
 * not at all, so the disk never holds the state between the two blocks, and
 * after it holds the same as with both ops. The coin changes stay as they
 * are (the coin cache and a run's layer follow them block by block), and so
 * does each block's undo data, which a disconnect restores the coin from.
 * Returns how many ops it dropped.
 */
export function dropCancelledCoins (blocks: readonly BlockBatch[]): number {
  const created = new Map<string, number>()
  let dropped = 0
  blocks.forEach((block, b) => {
    let op = block.coinOpsAt
    block.coins.spent.forEach(s => {
      const at = created.get(s)
      if (at !== undefined) {
        blocks[Math.floor(at / RUN_OPS)].ops.drop(at % RUN_OPS)
        block.ops.drop(op)
        created.delete(s)
        dropped += 2
      }
      op++
    })
    block.coins.added.forEach((_, s) => { created.set(s, b * RUN_OPS + op++) })
  })
  return dropped
}
