// The direct reader of canonical transactions (src/core/tx-parse.ts) against
// the protobuf path it short-cuts (decode, re-encode, compare): whenever it
// gives a transaction, the old path accepts the same bytes and gives an equal
// one; on canonical encodings of every shape it gives one; on damaged bytes
// it gives one only if the old path accepts them too.
import { describe, expect, it } from 'vitest'
import { decodeWire, encodeTx, txFromWire } from '../../src/core/encoding.js'
import { wire } from '../../src/core/wire/schema.js'
import { equalBytes } from '../../src/core/bytes.js'
import { parseCanonicalTx } from '../../src/core/tx-parse.js'
import type { Transaction } from '../../src/core/types.js'

/** The old path: undefined where it refuses the bytes. */
function oldDecode (bytes: Uint8Array): Transaction | undefined {
  try {
    const tx = txFromWire(decodeWire(wire.Transaction, bytes, 1e9, 'transaction'))
    return equalBytes(encodeTx(tx), bytes) ? tx : undefined
  } catch {
    return undefined
  }
}

let seed = 12345
const next = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed }
const pick = <T>(xs: T[]): T => xs[next() % xs.length]
const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => next() & 0xff)
const u32 = (): number => pick([0, 1, 127, 128, 300, 16383, 16384, 0xffffffff, next()])
const amount = (): bigint => pick([0n, 1n, 127n, 128n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n, BigInt(next()) * 1000n])

function randomTx (): Transaction {
  return {
    version: u32(),
    inputs: Array.from({ length: next() % 4 }, () => ({ prevTxid: bytes(pick([0, 32])), prevIndex: u32(), publicKey: bytes(pick([0, 33])), signature: bytes(pick([0, 64, 200])) })),
    outputs: Array.from({ length: next() % 4 }, () => ({ amount: amount(), address: bytes(pick([0, 20])) })),
    lockTime: u32(),
    coinbase: bytes(pick([0, 0, 8]))
  }
}

describe('parseCanonicalTx', () => {
  it('reads the canonical encoding of transactions of every shape as the protobuf path does', () => {
    let direct = 0
    for (let i = 0; i < 3000; i++) {
      const tx = randomTx()
      const enc = encodeTx(tx)
      const parsed = parseCanonicalTx(enc)
      const old = oldDecode(enc)
      expect(old).toBeDefined()
      if (parsed !== undefined) {
        direct++
        expect(parsed).toEqual(old)
      } else {
        // only amounts of 2^53 or more, or an input or output with every field at its default, are left to the old path
        const big = tx.outputs.some(o => o.amount >= 2n ** 53n)
        const empty = enc.length > 0 && (tx.inputs.some(x => x.prevTxid.length === 0 && x.prevIndex === 0 && x.publicKey.length === 0 && x.signature.length === 0) || tx.outputs.some(o => o.amount === 0n && o.address.length === 0))
        expect(big || empty).toBe(true)
      }
    }
    expect(direct).toBeGreaterThan(1500)
  })

  it('gives a transaction for damaged bytes only when the protobuf path accepts them and gives the same', () => {
    let refused = 0
    for (let i = 0; i < 5000; i++) {
      const enc = encodeTx(randomTx())
      const bad = Uint8Array.from(enc)
      const how = next() % 4
      let damaged: Uint8Array = bad
      if (how === 0 && bad.length > 0) bad[next() % bad.length] ^= 1 << (next() % 8)
      else if (how === 1) damaged = bad.subarray(0, next() % (bad.length + 1))
      else if (how === 2) { const at = next() % (bad.length + 1); damaged = Uint8Array.from([...bad.subarray(0, at), next() & 0xff, ...bad.subarray(at)]) }
      else if (bad.length > 0) bad[next() % bad.length] = pick([0x00, 0x80, 0xff, 0x08, 0x12, 0x1a, 0x20, 0x2a])
      const parsed = parseCanonicalTx(damaged)
      const old = oldDecode(damaged)
      if (parsed === undefined) { refused++; continue }
      expect(old).toBeDefined()
      expect(parsed).toEqual(old)
    }
    expect(refused).toBeGreaterThan(1000)
  })
})
