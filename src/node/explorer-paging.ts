// Small pieces of the chain explorer's paging: a bounded cache, a pacer that
// yields to the event loop between chunks of one request's work, and the
// address-history cursor format.
import { fromHex, toHex } from '../core/bytes.js'

/** Work between two yields to the event loop: about one large transaction's decoding and view. */
const YIELD_EVERY_BYTES = 64 * 1024

/** A small map that forgets its oldest entries. */
export class Lru<K, V> {
  private readonly map = new Map<K, V>()
  constructor (private readonly max: number) {}

  get (k: K): V | undefined {
    const v = this.map.get(k)
    if (v !== undefined) { this.map.delete(k); this.map.set(k, v) }
    return v
  }

  set (k: K, v: V): void {
    this.map.delete(k)
    this.map.set(k, v)
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K)
  }
}

export async function yieldToEventLoop (): Promise<void> {
  await new Promise<void>(resolve => setImmediate(resolve))
}

/** Lets other requests and the node run between chunks of one request's work. */
export class Pacer {
  private since = 0

  async done (bytes: number): Promise<void> {
    this.since += bytes
    if (this.since >= YIELD_EVERY_BYTES) {
      this.since = 0
      await yieldToEventLoop()
    }
  }
}

/** History cursors are "<height>-<txid hex>": the last entry of the page before. */
export function encodeHistoryCursor (height: number, id: Uint8Array): string {
  return `${height}-${toHex(id)}`
}

export function decodeHistoryCursor (cursor: string): { height: number, txid: Uint8Array } | undefined {
  const m = /^([0-9]{1,10})-([0-9a-fA-F]{64})$/.exec(cursor)
  if (m === null || Number(m[1]) > 0xffffffff) return undefined
  return { height: Number(m[1]), txid: fromHex(m[2].toLowerCase()) }
}
