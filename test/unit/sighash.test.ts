// The sighash built in a reused buffer, and dsha256 with its first digest
// read as a string (issue 12, session 8), against the code they replaced:
// the blanked copy of the transaction's bytes (copied below as it was) and
// double SHA-256 through node:crypto Buffers. Arbitrary transactions, in
// arbitrary order (the buffer is reused and grows), decoded (their bytes
// known) and built (encoded on demand) alike.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeTx, encodeTx } from '../../src/core/encoding.js'
import { dsha256 } from '../../src/core/hash.js'
import { sighash } from '../../src/core/tx.js'
import { fieldLength, readLengthDelimited, writeVarint } from '../../src/core/wire-walk.js'
import type { Transaction } from '../../src/core/types.js'

const referenceDsha256 = (data: Uint8Array): Uint8Array =>
  new Uint8Array(createHash('sha256').update(createHash('sha256').update(data).digest()).digest())

// ---- the sighash as it was before session 8 (src/core/tx.ts at c274635) ----
const VERSION_TAG = (1 << 3) | 0
const INPUTS_TAG = (2 << 3) | 2
const PREV_INDEX_TAG = (2 << 3) | 0
const SIGNATURE_TAG = (4 << 3) | 2

function skipVarint (bytes: Uint8Array, pos: number, end: number): number {
  while (pos < end && bytes[pos] >= 0x80) pos++
  return pos < end ? pos + 1 : -1
}

function signatureStart (bytes: Uint8Array, start: number, end: number): number {
  for (let q = start; q < end;) {
    if (bytes[q] === PREV_INDEX_TAG) {
      q = skipVarint(bytes, q + 1, end)
      if (q < 0) return -1
      continue
    }
    const f = readLengthDelimited(bytes, q, end)
    if (f === undefined) return -1
    if (f.tag === SIGNATURE_TAG) return f.end === end ? q : -1
    q = f.end
  }
  return end
}

function oldBlankSignatures (bytes: Uint8Array, lead: number): Uint8Array | undefined {
  const end = bytes.length
  let pos = 0
  if (bytes[0] === VERSION_TAG) pos = skipVarint(bytes, 1, end)
  if (pos < 0) return undefined
  const prefix = pos
  const inputs: Array<{ start: number, keep: number }> = []
  let size = prefix
  while (pos < end && bytes[pos] === INPUTS_TAG) {
    const f = readLengthDelimited(bytes, pos, end)
    if (f === undefined) return undefined
    const keep = signatureStart(bytes, f.start, f.end)
    if (keep < 0) return undefined
    inputs.push({ start: f.start, keep })
    size += fieldLength(keep - f.start)
    pos = f.end
  }
  size += end - pos
  const out = new Uint8Array(lead + size)
  out.set(bytes.subarray(0, prefix), lead)
  let at = lead + prefix
  for (const input of inputs) {
    out[at++] = INPUTS_TAG
    at = writeVarint(out, at, input.keep - input.start)
    out.set(bytes.subarray(input.start, input.keep), at)
    at += input.keep - input.start
  }
  out.set(bytes.subarray(pos), at)
  return out
}

function oldSighash (tx: Transaction, bytes: Uint8Array | undefined, networkId: string): Uint8Array {
  const tag = new TextEncoder().encode('minicoin-sighash-v1:')
  const net = new TextEncoder().encode(networkId + ':')
  const lead = tag.length + net.length
  let msg = bytes !== undefined ? oldBlankSignatures(bytes, lead) : undefined
  if (msg === undefined) {
    const body = encodeTx({ ...tx, inputs: tx.inputs.map(i => ({ ...i, signature: new Uint8Array(0) })) })
    msg = new Uint8Array(lead + body.length)
    msg.set(body, lead)
  }
  msg.set(tag, 0)
  msg.set(net, tag.length)
  return referenceDsha256(msg)
}
// ---- end of the old code ----

const bytesUpTo = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max })
const u32 = fc.integer({ min: 0, max: 0xffffffff })
const input = fc.record({ prevTxid: bytesUpTo(40), prevIndex: u32, publicKey: bytesUpTo(40), signature: bytesUpTo(200) })
const output = fc.record({ amount: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), address: bytesUpTo(24) })
/** Every shape the encoding has: fields at their defaults (omitted), long varints, odd lengths, many inputs (a message past the reused views). */
const transaction: fc.Arbitrary<Transaction> = fc.record({
  version: u32,
  inputs: fc.oneof({ weight: 6, arbitrary: fc.array(input, { maxLength: 5 }) }, { weight: 1, arbitrary: fc.array(input, { minLength: 20, maxLength: 60 }) }),
  outputs: fc.array(output, { maxLength: 5 }),
  lockTime: u32,
  coinbase: bytesUpTo(30)
})
const network = fc.oneof(fc.constantFrom('minicoin-regtest', 'minicoin-main', 'x', ''), fc.string({ maxLength: 40 }))

describe('dsha256', () => {
  it('is SHA-256 twice, as node:crypto computes it, for any bytes and length', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1000 }), data => {
      expect(Array.from(dsha256(data))).toEqual(Array.from(referenceDsha256(data)))
    }), { numRuns: 1000 })
    // a view into a larger buffer hashes only its own bytes
    const big = new Uint8Array(300).map((_, i) => i)
    expect(Array.from(dsha256(big.subarray(17, 250)))).toEqual(Array.from(referenceDsha256(big.slice(17, 250))))
  })

  it('gives a fresh array each time', () => {
    const a = dsha256(new Uint8Array([1]))
    const b = dsha256(new Uint8Array([1]))
    expect(a).not.toBe(b)
    expect(a).toEqual(b)
  })
})

describe('sighash in a reused buffer', () => {
  it('is byte for byte the old blanked-copy sighash, decoded or built, in any order', () => {
    fc.assert(fc.property(fc.array(fc.tuple(transaction, network), { minLength: 1, maxLength: 8 }), cases => {
      const digests = cases.map(([tx, net]) => {
        const bytes = encodeTx(tx)
        const decoded = decodeTx(bytes, 4_000_000)
        const expected = oldSighash(tx, bytes, net)
        expect(Array.from(sighash(decoded, net))).toEqual(Array.from(expected))
        // the old code's own fallback (no known bytes) agrees with its cut
        expect(Array.from(oldSighash(tx, undefined, net))).toEqual(Array.from(expected))
        expect(Array.from(sighash(tx, net))).toEqual(Array.from(expected))
        return { tx, net, digest: sighash(decoded, net) }
      })
      // digests handed out earlier are not overwritten by later ones
      for (const { tx, net, digest } of digests) expect(Array.from(digest)).toEqual(Array.from(oldSighash(tx, undefined, net)))
    }), { numRuns: 400 })
  })

  it('is the same for a transaction after a longer one used the buffer, and for one longer than the buffer', () => {
    const huge: Transaction = { version: 2, inputs: Array.from({ length: 600 }, (_, k) => ({ prevTxid: new Uint8Array(32).fill(k & 0xff), prevIndex: k, publicKey: new Uint8Array(33).fill(3), signature: new Uint8Array(64).fill(k & 0x7f) })), outputs: [{ amount: 1n, address: new Uint8Array(20) }], lockTime: 9, coinbase: new Uint8Array(0) }
    expect(encodeTx(huge).length).toBeGreaterThan(64 * 1024)
    expect(Array.from(sighash(decodeTx(encodeTx(huge), 4_000_000), 'n'))).toEqual(Array.from(oldSighash(huge, encodeTx(huge), 'n')))
    expect(Array.from(sighash(huge, 'n'))).toEqual(Array.from(oldSighash(huge, undefined, 'n')))
    const long: Transaction = { version: 1, inputs: Array.from({ length: 200 }, (_, k) => ({ prevTxid: new Uint8Array(32).fill(k), prevIndex: k, publicKey: new Uint8Array(33).fill(2), signature: new Uint8Array(64).fill(9) })), outputs: [], lockTime: 0, coinbase: new Uint8Array(0) }
    const short: Transaction = { version: 1, inputs: [long.inputs[3]], outputs: [{ amount: 5n, address: new Uint8Array(20).fill(1) }], lockTime: 0, coinbase: new Uint8Array(0) }
    const before = sighash(decodeTx(encodeTx(short), 4_000_000), 'n')
    expect(encodeTx(long).length).toBeGreaterThan(4096 * 2)
    expect(Array.from(sighash(decodeTx(encodeTx(long), 4_000_000), 'n'))).toEqual(Array.from(oldSighash(long, encodeTx(long), 'n')))
    expect(Array.from(sighash(decodeTx(encodeTx(short), 4_000_000), 'n'))).toEqual(Array.from(before))
    expect(Array.from(before)).toEqual(Array.from(oldSighash(short, encodeTx(short), 'n')))
  })
})
