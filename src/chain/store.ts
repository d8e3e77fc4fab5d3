// The chain database: one LevelDB with a one-byte prefix per record kind
// (the layout: db-layout.ts). Readers get point reads and bounded range
// iterators; nobody outside this file touches the LevelDB handle's iterators.
// Every block connect/disconnect is a single batch, so the tip, the UTXO set
// and the indexes always change together.
//
// Every I/O failure leaves as a StorageError (disk full, read-only, a
// damaged file): not a verdict on a block or transaction but a broken node.
// Whoever owns the store stops taking changes and the node shuts down, as
// Bitcoin Core does on a failed write; nothing is acknowledged that is not
// on disk.
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { BlockFileError, BlockFiles, decodeBlockLocation, encodeBlockLocation } from './block-files.js'
import { type BatchOp, key, Prefix } from './db-layout.js'
import { type BlockBatch, isBlockBatch, type OpSink } from './block-batch.js'

/** What a written batch was built from, in order: op arrays, and blocks' packed batches (block-batch.ts). */
export type BatchPart = readonly BatchOp[] | BlockBatch

/** A read or write of a node's data directory failed; the node must stop. */
export class StorageError extends Error {
  /** What was being stored or read, e.g. "chain database". */
  readonly what: string
  readonly location: string

  constructor (what: string, location: string, operation: string, cause: unknown) {
    super(`${what} ${operation} failed at ${location}: ${(cause as Error)?.message ?? String(cause)}`, { cause })
    this.name = 'StorageError'
    this.what = what
    this.location = location
  }
}

function blockFileFailure (err: unknown, dir = '?'): StorageError {
  if (err instanceof StorageError) return err
  if (!(err instanceof BlockFileError)) return new StorageError('block files', dir, 'read', err)
  // its message says what failed (the system's error, or how a record is damaged)
  return new StorageError('block files', err.path, err.operation, err)
}

export function isStorageError (err: unknown): err is StorageError {
  return err instanceof StorageError
}

// The chain database's keys are documented and built in db-layout.ts;
// re-exported here for callers that import them from the store.
export { coinKey, key, META_NETWORK, META_TIP, Prefix, u32be } from './db-layout.js'
export type { BatchOp } from './db-layout.js'

/**
 * LevelDB's memory, chosen so a node's footprint does not grow with its
 * chain (bench: footprint_chain). Block cache 8 MiB (LevelDB's default: hot
 * UTXO and index blocks; more buys little, the OS page cache holds the
 * files), write buffer 4 MiB (the default; up to two memtables exist while
 * one is flushed, so 8 MiB). A smaller cache and write buffer (4 and 2 MiB)
 * saved no more than the noise of one run (BENCHMARKS.md, session 8).
 *
 * LevelDB maps every open table file into the process (mmap, on 64-bit),
 * so the table pages a node touches count in its RSS while the table is
 * open: those a compaction reads stay until it ends and deletes them. Block
 * bytes are not in the tables (block-files.ts), so a node serving old
 * blocks no longer maps them (serving 10,005 full blocks: 191 → 151 MiB,
 * BENCHMARKS.md, issue 12 session 11). What a syncing node maps is its
 * compactions' inputs, up to 25 tables (ExpandedCompactionByteSizeLimit);
 * so tables are LevelDB's smallest, 1 MiB (it raises anything less): with
 * 2 MiB tables a node syncing 10,005 full blocks peaked at 216 MiB, ~40 of
 * them table pages, with 1 MiB at 193 (twice). Open files 74: LevelDB
 * (1.20, as classic-level builds it) raises max_open_files to at least 74
 * and keeps 10 for its own files, so 64 tables stay open whatever is asked
 * for less (the 32 asked for in sessions 8–9, and 16, made no difference:
 * BENCHMARKS.md, issue 12 session 10); each keeps its index block and
 * bloom filter in memory (~25 KiB for a 1 MiB table). A read from a closed
 * table reopens it (one open and a read of its index; the coin cache
 * answers most coin reads).
 */
export const CHAIN_DB_OPTIONS = {
  cacheSize: 8 * 1024 * 1024,
  writeBufferSize: 4 * 1024 * 1024,
  maxOpenFiles: 74,
  maxFileSize: 1024 * 1024
} as const

/** A staged batch (ChainStore.prepare): written once, or discarded. */
export interface PreparedBatch {
  write: () => Promise<void>
  discard: () => void
}

/** A batch built up op by op (ChainStore.stage), then written once or discarded. */
export interface StagedBatch extends PreparedBatch {
  add: (ops: BatchPart) => void
}

type ChainedBatch = ReturnType<ClassicLevel<Uint8Array, Uint8Array>['batch']>

/**
 * A sink that hands a block's ops to the binding itself (classic-level's
 * `_put`/`_del`), for a database with no 'write' listener or prewrite hook:
 * abstract-level's public put() then only checks the key's type (ours are
 * always bytes) and builds an op object per call for those listeners, ~1.4
 * MB of garbage a connect (BENCHMARKS.md, issue 12 session 8). The first op
 * goes through put() all the same, so the batch counts as not empty and
 * write() writes it.
 */
function directSink (batch: ChainedBatch): OpSink {
  const raw = batch as unknown as { _put?: (k: Uint8Array, v: Uint8Array) => void, _del?: (k: Uint8Array) => void }
  const put = raw._put
  const del = raw._del
  if (typeof put !== 'function' || typeof del !== 'function') return { copies: true, put: (k, v) => { batch.put(k, v) }, del: k => { batch.del(k) } }
  let counted = false
  return {
    copies: true,
    put: (k, v) => { if (counted) put.call(batch, k, v); else { batch.put(k, v); counted = true } },
    del: k => { if (counted) del.call(batch, k); else { batch.del(k); counted = true } }
  }
}

export class ChainStore {
  readonly db: ClassicLevel<Uint8Array, Uint8Array>
  readonly location: string
  /** Named in StorageError messages. */
  readonly what: string
  /** The first I/O failure: after it every write is refused, so nothing newer reaches the disk out of order. */
  failure: StorageError | undefined
  /** Told about the first failure (the owner stops taking changes and the node stops). */
  onFailure: ((err: StorageError) => void) | undefined
  /** Told of every batch once it is written, as the parts it was built from (the coin cache follows the disk through it). */
  onCommitted: ((parts: readonly BatchPart[]) => void) | undefined

  /** The full node's block bytes (block-files.ts), in `<location>/blocks`; a header or wallet database has none. */
  readonly blocks: BlockFiles | undefined

  constructor (location: string, what = 'chain database', opts: { blockFiles?: boolean } = {}) {
    this.location = location
    this.what = what
    this.db = new ClassicLevel<Uint8Array, Uint8Array>(location, { keyEncoding: 'view', valueEncoding: 'view', ...CHAIN_DB_OPTIONS })
    this.blocks = opts.blockFiles === true ? new BlockFiles(join(location, 'blocks')) : undefined
  }

  async open (): Promise<void> {
    try {
      await this.db.open()
    } catch (err) {
      throw new StorageError(this.what, this.location, 'open', (err as Error & { cause?: unknown }).cause ?? err)
    }
    try {
      this.blocks?.open()
    } catch (err) {
      await this.db.close()
      throw blockFileFailure(err)
    }
  }

  async close (): Promise<void> {
    await this.blocks?.close()
    await this.db.close()
  }

  /**
   * Stores a block's bytes in the block files now and returns the op that
   * records where (prefix 'f'): the bytes are on disk before any batch that
   * points at them.
   */
  blockDataOp (hash: Uint8Array, bytes: Uint8Array): BatchOp {
    if (this.blocks === undefined) throw new Error(`${this.what} keeps no blocks`)
    if (this.failure !== undefined) throw this.failure
    try {
      return { type: 'put', key: key(Prefix.blockFile, hash), value: encodeBlockLocation(this.blocks.append(bytes)) }
    } catch (err) {
      throw this.failed(blockFileFailure(err))
    }
  }

  /** A stored block's bytes: from the block files, or inline in the database (written before the block files existed). */
  getBlockBytes (hash: Uint8Array): Uint8Array | undefined {
    const loc = this.get(key(Prefix.blockFile, hash))
    if (loc === undefined) return this.get(key(Prefix.block, hash))
    try {
      return this.blocks!.read(decodeBlockLocation(loc))
    } catch (err) {
      throw this.failed(blockFileFailure(err, this.blocks?.dir))
    }
  }

  /** Before a batch is written: every block it may record is synced to its file. */
  private async syncBlocks (): Promise<void> {
    if (this.blocks === undefined || !this.blocks.unsynced) return
    try {
      await this.blocks.sync()
    } catch (err) {
      throw this.failed(blockFileFailure(err))
    }
  }

  get (k: Uint8Array): Uint8Array | undefined {
    try {
      return this.db.getSync(k)
    } catch (err) {
      throw this.failed(new StorageError(this.what, this.location, 'read', err))
    }
  }

  /** One atomic batch; throws StorageError when it did not reach the disk (and for every write after that). */
  async write (ops: BatchOp[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    await this.syncBlocks()
    try {
      await this.db.batch(ops)
    } catch (err) {
      throw this.failed(new StorageError(this.what, this.location, 'write', err))
    }
    this.onCommitted?.([ops])
  }

  /**
   * Stages a batch now, so that writing it later costs only the write: a
   * block's batch is staged while its signatures are verified. Nothing
   * reaches the disk until write(); discard() drops it.
   */
  prepare (ops: BatchPart): PreparedBatch {
    const batch = this.stage()
    batch.add(ops)
    return batch
  }

  /**
   * An empty batch that ops are added to as they are built (a run of blocks,
   * block-run.ts), then written once. LevelDB's chained batch: an op costs a
   * third of what it does in an array batch (abstract-level clones and
   * checks each op of an array, and the binding reads it back property by
   * property), and staging it does not need the whole array at once.
   */
  stage (): StagedBatch {
    const batch = this.db.batch()
    const parts: BatchPart[] = []
    let done = false
    // The binding copies each key and value into the native batch before
    // put() returns; abstract-level keeps the op only for 'write' listeners
    // and prewrite hooks (none here: checked, so one added later is safe).
    const copies = this.db.listenerCount('write') === 0 && (this.db.hooks.prewrite as unknown as { noop: boolean }).noop
    const sink = copies ? directSink(batch) : { copies, put: (k: Uint8Array, v: Uint8Array) => { batch.put(k, v) }, del: (k: Uint8Array) => { batch.del(k) } }
    return {
      add: ops => {
        if (done) throw new Error('a staged batch takes no ops after it is written or discarded')
        if (isBlockBatch(ops)) ops.stageInto(sink)
        else {
          for (const op of ops) {
            if (op.type === 'put') batch.put(op.key, op.value)
            else batch.del(op.key)
          }
        }
        parts.push(ops)
      },
      write: async () => {
        if (done) throw new Error('a prepared batch is written once')
        done = true
        if (this.failure !== undefined) {
          await batch.close()
          throw this.failure
        }
        try {
          await this.syncBlocks()
        } catch (err) {
          await batch.close()
          throw err
        }
        try {
          await batch.write()
        } catch (err) {
          throw this.failed(new StorageError(this.what, this.location, 'write', err))
        }
        this.onCommitted?.(parts)
      },
      discard: () => {
        if (done) return
        done = true
        batch.close().catch(() => {})
      }
    }
  }

  private failed (err: StorageError): StorageError {
    // a read racing with close() at shutdown is not a broken disk
    if (this.failure === undefined && this.db.status === 'open') {
      this.failure = err
      try {
        this.onFailure?.(err)
      } catch {}
    }
    return err
  }

  /**
   * The [key, value] pairs in a key range, in key order (or reverse), at
   * most `limit` of them: a bounded read for queries that page.
   */
  async * range (range: { gt?: Uint8Array, gte?: Uint8Array, lt?: Uint8Array, lte?: Uint8Array, reverse?: boolean, limit: number }): AsyncGenerator<[Uint8Array, Uint8Array]> {
    const it = this.db.iterator(range)
    try {
      for await (const entry of it) yield entry
    } finally {
      await it.close()
    }
  }

  /** Every [key, value] under a prefix (optionally a longer key prefix). */
  async * scan (prefix: Uint8Array): AsyncGenerator<[Uint8Array, Uint8Array]> {
    for await (const chunk of this.scanChunks(prefix)) yield * chunk
  }

  /**
   * The same pairs in chunks of at most `size`: one await per chunk, not per
   * pair, for reads of many small records (the block index at start-up).
   */
  async * scanChunks (prefix: Uint8Array, size = 1024): AsyncGenerator<Array<[Uint8Array, Uint8Array]>> {
    const upper = new Uint8Array(prefix)
    let i = upper.length - 1
    while (i >= 0 && upper[i] === 0xff) i--
    const lt = i < 0 ? undefined : upper.slice(0, i + 1)
    if (lt !== undefined) lt[i]++
    const it = this.db.iterator(lt === undefined ? { gte: prefix } : { gte: prefix, lt })
    try {
      for (;;) {
        const chunk = await it.nextv(size)
        if (chunk.length === 0) break
        yield chunk
      }
    } finally {
      await it.close()
    }
  }
}
