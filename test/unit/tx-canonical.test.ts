// The canonical transaction reader (src/core/tx-canonical.ts) against the
// generic path it stands in for (protobuf decode, encode again, compare): on
// encoded transactions, on mangled ones and on noise, decodeTx gives the same
// transaction or the same error, and whatever the reader accepts re-encodes
// to the bytes it read.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as arb from '../property/arbitraries.js'
import { decodeTx, decodeTxFully, encodeTx, knownTxBytes } from '../../src/core/encoding.js'
import { readCanonicalTx } from '../../src/core/tx-canonical.js'

const MAX = 1_000_000

/** Bytes as plain arrays: the codec hands out Buffers, the reader Uint8Arrays, both the domain's bytes. */
function plain (v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v)
  if (Array.isArray(v)) return v.map(plain)
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  return v
}

function outcome (f: () => unknown): { value?: unknown, error?: string } {
  try {
    return { value: plain(f()) }
  } catch (err) {
    return { error: `${(err as { code?: string }).code ?? ''} ${(err as Error).message}` }
  }
}

describe('canonical transaction reader', () => {
  it('decodes exactly what the generic decoder does, on encoded, mangled and random bytes', () => {
    fc.assert(fc.property(arb.wireBytes(arb.transaction, encodeTx), bytes => {
      const fast = outcome(() => decodeTx(bytes, MAX))
      const full = outcome(() => decodeTxFully(bytes, MAX))
      expect(fast).toEqual(full)
      const read = readCanonicalTx(bytes)
      if (read !== undefined) expect(Buffer.from(encodeTx(read)).equals(Buffer.from(bytes))).toBe(true)
    }), { numRuns: 3000 })
  })

  it('refuses non-canonical forms the generic decoder would read', () => {
    const tx = { version: 1, inputs: [{ prevTxid: new Uint8Array(32).fill(1), prevIndex: 3, publicKey: new Uint8Array(33).fill(2), signature: new Uint8Array(64).fill(3) }], outputs: [{ amount: 5n, address: new Uint8Array(20).fill(4) }], lockTime: 0, coinbase: new Uint8Array(0) }
    const good = encodeTx(tx)
    expect(plain(readCanonicalTx(good))).toEqual(plain(tx))
    // version 1 as a two-byte varint; version 0 written out; fields out of order
    const longVarint = Uint8Array.from([0x08, 0x81, 0x00, ...good.subarray(2)])
    const zeroWritten = Uint8Array.from([0x08, 0x00, ...good.subarray(2)])
    const outputFirst = (() => {
      const inputLen = 2 + good[3]
      const input = good.subarray(2, 2 + inputLen)
      return Uint8Array.from([...good.subarray(0, 2), ...good.subarray(2 + inputLen), ...input])
    })()
    for (const bad of [longVarint, zeroWritten, outputFirst, good.subarray(0, good.length - 1), Uint8Array.from([...good, 0x2a, 0x00])]) {
      expect(readCanonicalTx(bad)).toBeUndefined()
      expect(() => decodeTx(bad, MAX)).toThrow()
    }
  })

  it('keeps its own copy: changing the caller\'s buffer afterwards changes nothing', () => {
    const tx = { version: 1, inputs: [], outputs: [{ amount: 7n, address: new Uint8Array(20).fill(9) }], lockTime: 0, coinbase: Uint8Array.of(1, 2, 3, 4) }
    const bytes = encodeTx(tx)
    const decoded = decodeTx(bytes, MAX)
    bytes.fill(0)
    expect(plain(decoded)).toEqual(plain(tx))
    expect(plain(knownTxBytes(decoded))).toEqual(plain(encodeTx(tx)))
  })
})
