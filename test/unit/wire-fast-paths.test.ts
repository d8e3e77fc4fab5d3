// The decoders and the sighash that work on canonical bytes directly
// (decodeBlock part by part, a blocks reply block by block, the sighash cut
// from a transaction's bytes) against the plain way: decode the whole
// message, encode it again, compare; encode the blanked transaction. Same
// verdicts, same errors, same digests, on honest and on damaged bytes.
import { describe, expect, it } from 'vitest'
import { randomInt } from 'node:crypto'
import { blockBytes, blockFromWire, decodeBlock, decodeTx, decodeWire, encodeBlock, encodeTx } from '../../src/core/encoding.js'
import { DecodeError } from '../../src/core/errors.js'
import { dsha256 } from '../../src/core/hash.js'
import { equalBytes } from '../../src/core/bytes.js'
import { sighash } from '../../src/core/tx.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { wire } from '../../src/core/wire/schema.js'
import { decodeSyncResponse, encodeBlocksResponse } from '../../src/p2p/sync-messages.js'
import { coinbaseTx, rand, spendTx } from '../../bench/support/core-fixtures.js'

const MAX = 4_000_000

/** The sighash as PROTOCOL.md defines it: the blanked transaction encoded. */
function referenceSighash (tx: Transaction, net: string): Uint8Array {
  const body = encodeTx({ ...tx, inputs: tx.inputs.map(i => ({ ...i, signature: new Uint8Array(0) })) })
  const enc = new TextEncoder()
  return dsha256(new Uint8Array([...enc.encode('minicoin-sighash-v1:'), ...enc.encode(net + ':'), ...body]))
}

/** The block decoder as it was: decode the whole message, encode again, compare. */
function referenceDecodeBlock (bytes: Uint8Array): Block {
  const block = blockFromWire(decodeWire(wire.Block, bytes, MAX, 'block'))
  if (!equalBytes(encodeBlock(block), bytes)) throw new DecodeError('decode-noncanonical', 'block is not canonically encoded')
  return block
}

/** Transactions with every shape the encoding has: defaults omitted, long varints, odd field lengths. */
function variedTx (i: number): Transaction {
  const tx = spendTx(1 + (i % 5), 1 + (i % 3))
  if (i % 7 === 0) tx.version = 0
  if (i % 4 === 1) tx.lockTime = 500_000 + i
  if (i % 6 === 2) tx.inputs[0].prevIndex = 0
  if (i % 6 === 3) tx.inputs[0].prevIndex = 0xffffffff
  if (i % 5 === 4) tx.inputs[0].signature = new Uint8Array(0)
  if (i % 9 === 5) tx.inputs[0].signature = rand(200)
  if (i % 8 === 6) tx.outputs[0].amount = (1n << 63n) + BigInt(i)
  if (i % 10 === 7) tx.inputs = Array.from({ length: 130 }, (_, k) => ({ prevTxid: rand(32), prevIndex: k, publicKey: rand(33), signature: rand(64) }))
  return tx
}

function variedBlock (n: number): Block {
  return {
    header: { version: 1, prevHash: rand(32), merkleRoot: rand(32), time: 1_700_000_000 + n, bits: 0x207fffff, nonce: n * 7919 },
    transactions: [coinbaseTx(n), ...Array.from({ length: 1 + (n % 6) }, (_, i) => variedTx(n * 10 + i))]
  }
}

/** Damaged copies: a byte changed, bytes cut, a byte inserted, a span repeated. */
function damaged (bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let k = 0; k < 30; k++) {
    const b = new Uint8Array(bytes)
    b[randomInt(b.length)] ^= 1 << randomInt(8)
    out.push(b)
    const at = randomInt(bytes.length)
    out.push(bytes.subarray(0, at))
    out.push(new Uint8Array([...bytes.subarray(0, at), randomInt(256), ...bytes.subarray(at)]))
    const from = randomInt(bytes.length)
    out.push(new Uint8Array([...bytes.subarray(0, from), ...bytes.subarray(from, from + 1 + randomInt(40)), ...bytes.subarray(from)]))
  }
  return out
}

function outcome (decode: () => Block): { ok: true, bytes: Uint8Array } | { ok: false, code: string } {
  try {
    return { ok: true, bytes: encodeBlock(decode()) }
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError)
    return { ok: false, code: (err as DecodeError).code }
  }
}

describe('the sighash cut from a transaction\'s bytes', () => {
  it('is the digest of the blanked transaction encoded, for every shape of transaction', () => {
    for (let i = 0; i < 400; i++) {
      const tx = variedTx(i)
      // decoded: its canonical bytes are known, so the sighash is cut from them
      const decoded = decodeTx(encodeTx(tx), MAX)
      for (const net of ['minicoin-regtest', 'x']) {
        expect(sighash(decoded, net)).toEqual(referenceSighash(tx, net))
        expect(sighash(tx, net)).toEqual(referenceSighash(tx, net))
      }
    }
  })

  it('of a coinbase (no inputs) is the digest of its bytes as they are', () => {
    const cb = decodeTx(encodeTx(coinbaseTx(12)), MAX)
    expect(sighash(cb, 'n')).toEqual(referenceSighash(cb, 'n'))
  })
})

describe('decodeBlock part by part', () => {
  it('decodes honest blocks as the whole-message decoder does and keeps the bytes they came as', () => {
    for (let n = 0; n < 60; n++) {
      const bytes = encodeBlock(variedBlock(n))
      const block = decodeBlock(bytes, MAX)
      expect(encodeBlock(block)).toEqual(bytes)
      expect(block).toEqual(referenceDecodeBlock(bytes))
      expect(u8(blockBytes(block))).toEqual(u8(bytes))
      for (const tx of block.transactions) expect(sighash(tx, 'n')).toEqual(referenceSighash(tx, 'n'))
    }
  })

  it('gives the same verdict and error code as the whole-message decoder on damaged bytes', () => {
    let accepted = 0
    let refused = 0
    for (let n = 0; n < 12; n++) {
      for (const bad of damaged(encodeBlock(variedBlock(n)))) {
        const got = outcome(() => decodeBlock(bad, MAX))
        const want = outcome(() => referenceDecodeBlock(bad))
        expect(got).toEqual(want)
        if (got.ok) {
          // accepted only in the canonical encoding
          expect(u8(got.bytes)).toEqual(u8(bad))
          accepted++
        } else {
          refused++
        }
      }
    }
    expect(refused).toBeGreaterThan(accepted)
  })

  it('refuses an over-long length varint and a two-byte tag that the whole-message decoder would read', () => {
    const bytes = encodeBlock(variedBlock(1))
    // the header field's length (one byte) written as two bytes
    const long = new Uint8Array([bytes[0], bytes[1] | 0x80, 0, ...bytes.subarray(2)])
    expect(() => decodeBlock(long, MAX)).toThrow(expect.objectContaining({ code: 'decode-noncanonical' }))
    // the header's tag 0x0a written as the two-byte varint 0x8a 0x00
    const tag = new Uint8Array([0x8a, 0x00, ...bytes.subarray(1)])
    expect(() => decodeBlock(tag, MAX)).toThrow(DecodeError)
  })
})

describe('a blocks reply block by block', () => {
  it('decodes honest replies and accepts damaged ones only when they are canonical', () => {
    const blocks = Array.from({ length: 4 }, (_, n) => variedBlock(n + 20))
    const notFound = [rand(32)]
    const reply = encodeBlocksResponse(blocks.map(encodeBlock), notFound)
    const res = decodeSyncResponse(reply, MAX, 2000, 16)
    expect(res.kind).toBe('blocks')
    if (res.kind !== 'blocks') return
    expect(res.blocks.map(encodeBlock)).toEqual(blocks.map(encodeBlock))
    expect(res.notFound.map(u8)).toEqual(notFound.map(u8))
    for (const b of res.blocks) expect(u8(blockBytes(b))).toEqual(u8(encodeBlock(b)))
    for (const bad of damaged(reply)) {
      let back: ReturnType<typeof decodeSyncResponse>
      try {
        back = decodeSyncResponse(bad, MAX, 2000, 16)
      } catch (err) {
        expect(err).toBeInstanceOf(DecodeError)
        continue
      }
      if (back.kind === 'blocks') expect(u8(encodeBlocksResponse(back.blocks.map(encodeBlock), back.notFound))).toEqual(u8(bad))
    }
  })

  it('still enforces the block and not-found counts', () => {
    const raw = encodeBlock(variedBlock(3))
    expect(() => decodeSyncResponse(encodeBlocksResponse([raw, raw, raw], []), MAX, 2000, 2)).toThrow(expect.objectContaining({ code: 'decode-too-many' }))
    expect(() => decodeSyncResponse(encodeBlocksResponse([raw], [rand(31)]), MAX, 2000, 2)).toThrow(DecodeError)
    // blocks after a not-found hash: not the order the encoder writes
    const inner = [0x12, 32, ...rand(32), 0x0a, ...varint(raw.length), ...raw]
    expect(() => decodeSyncResponse(new Uint8Array([0x1a, ...varint(inner.length), ...inner]), MAX, 2000, 2)).toThrow(DecodeError)
  })
})

/** Compared as plain bytes (Buffer and Uint8Array differ to toEqual). */
function u8 (b: Uint8Array): Uint8Array {
  return new Uint8Array(b)
}

function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return out
}

describe('fixture signatures on libsecp256k1', () => {
  it('are the bytes @noble makes (RFC 6979, low S)', async () => {
    const { sign, newKey } = await import('../../bench/support/chain-fixtures.js')
    const { signDigest } = await import('../../src/crypto/keys.js')
    for (let i = 0; i < 50; i++) {
      const key = newKey()
      const digest = rand(32)
      expect(u8(sign(digest, key.priv))).toEqual(u8(signDigest(digest, key.priv)))
    }
  })
})
