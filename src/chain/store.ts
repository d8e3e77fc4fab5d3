// The chain database: one LevelDB with a one-byte prefix per record kind.
// Every block connect/disconnect is a single batch, so the tip, the UTXO set
// and the indexes always change together.
import { ClassicLevel } from 'classic-level'
import { concatBytes } from '../core/bytes.js'

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

  constructor (location: string) {
    this.db = new ClassicLevel<Uint8Array, Uint8Array>(location, { keyEncoding: 'view', valueEncoding: 'view' })
  }

  async open (): Promise<void> {
    await this.db.open()
  }

  async close (): Promise<void> {
    await this.db.close()
  }

  get (k: Uint8Array): Uint8Array | undefined {
    return this.db.getSync(k)
  }

  async write (ops: BatchOp[]): Promise<void> {
    await this.db.batch(ops)
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
