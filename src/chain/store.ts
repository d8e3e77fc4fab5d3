// The chain database: one LevelDB with a one-byte prefix per record kind.
// Every block connect/disconnect is a single batch, so the tip, the UTXO set
// and the indexes always change together.
//
// Every I/O failure leaves as a StorageError (disk full, read-only, a
// damaged file): not a verdict on a block or transaction but a broken node.
// Whoever owns the store stops taking changes and the node shuts down, as
// Bitcoin Core does on a failed write; nothing is acknowledged that is not
// on disk.
import { ClassicLevel } from 'classic-level'
import { concatBytes } from '../core/bytes.js'

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

export function isStorageError (err: unknown): err is StorageError {
  return err instanceof StorageError
}

export const Prefix = {
  index: 0x68, // 'h' + block hash -> IndexRecord
  block: 0x62, // 'b' + block hash -> canonical block bytes
  undo: 0x75, // 'u' + block hash -> undo record
  coin: 0x63, // 'c' + txid + index(u32 BE) -> Coin
  tx: 0x74, // 't' + txid -> TxLocation (active chain)
  address: 0x61, // 'a' + address + height(u32 BE) + txid -> tx position (u32 BE)
  height: 0x6e, // 'n' + height(u32 BE) -> block hash (active chain)
  meta: 0x6d // 'm' + name -> value
} as const

export function key (prefix: number, ...parts: Uint8Array[]): Uint8Array {
  return concatBytes(new Uint8Array([prefix]), ...parts)
}

export function u32be (n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}

export function coinKey (txid: Uint8Array, index: number): Uint8Array {
  const k = new Uint8Array(37)
  k[0] = Prefix.coin
  k.set(txid, 1)
  new DataView(k.buffer).setUint32(33, index)
  return k
}

export const META_TIP = key(Prefix.meta, new TextEncoder().encode('tip'))
export const META_NETWORK = key(Prefix.meta, new TextEncoder().encode('network'))

export type BatchOp = { type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }

export class ChainStore {
  readonly db: ClassicLevel<Uint8Array, Uint8Array>
  readonly location: string
  /** Named in StorageError messages. */
  readonly what: string
  /** The first I/O failure: after it every write is refused, so nothing newer reaches the disk out of order. */
  failure: StorageError | undefined
  /** Told about the first failure (the owner stops taking changes and the node stops). */
  onFailure: ((err: StorageError) => void) | undefined

  constructor (location: string, what = 'chain database') {
    this.location = location
    this.what = what
    this.db = new ClassicLevel<Uint8Array, Uint8Array>(location, { keyEncoding: 'view', valueEncoding: 'view' })
  }

  async open (): Promise<void> {
    try {
      await this.db.open()
    } catch (err) {
      throw new StorageError(this.what, this.location, 'open', (err as Error & { cause?: unknown }).cause ?? err)
    }
  }

  async close (): Promise<void> {
    await this.db.close()
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
    try {
      await this.db.batch(ops)
    } catch (err) {
      throw this.failed(new StorageError(this.what, this.location, 'write', err))
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

  /** Every [key, value] under a prefix (optionally a longer key prefix). */
  async * scan (prefix: Uint8Array): AsyncGenerator<[Uint8Array, Uint8Array]> {
    const upper = new Uint8Array(prefix)
    let i = upper.length - 1
    while (i >= 0 && upper[i] === 0xff) i--
    const lt = i < 0 ? undefined : upper.slice(0, i + 1)
    if (lt !== undefined) lt[i]++
    const it = this.db.iterator(lt === undefined ? { gte: prefix } : { gte: prefix, lt })
    try {
      for await (const entry of it) yield entry
    } finally {
      await it.close()
    }
  }
}
