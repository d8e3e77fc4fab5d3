import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { decodeBlock, decodeHeaderMessage, decodeTx, encodeBlock, encodeHeaderMessage, encodeTx, parseHeader, serializeHeader } from '../../src/core/encoding.js'
import { DecodeError } from '../../src/core/errors.js'
import protobuf from 'protobufjs'
import { regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import { coinbaseTx, makeBlock, spendTx } from '../../bench/support/core-fixtures.js'

const MAX = 1_000_000

describe('canonical encoding', () => {
  it('round-trips transactions, including uint64 amounts above 2^53', () => {
    for (let i = 0; i < 200; i++) {
      const tx = spendTx(1 + (i % 4), 1 + (i % 3))
      tx.outputs[0].amount = (1n << 63n) + BigInt(i)
      const bytes = encodeTx(tx)
      const back = decodeTx(bytes, MAX)
      expect(back.outputs[0].amount).toBe((1n << 63n) + BigInt(i))
      expect(encodeTx(back)).toEqual(bytes)
      expect(txid(back)).toEqual(txid(tx))
    }
  })

  it('refuses out-of-range integers instead of writing garbage', () => {
    const tx = spendTx()
    tx.outputs[0].amount = 1n << 64n
    expect(() => encodeTx(tx)).toThrow(/uint64/)
    const tx2 = spendTx()
    tx2.inputs[0].prevIndex = -1
    expect(() => encodeTx(tx2)).toThrow(/uint32/)
  })

  it('round-trips blocks and headers', () => {
    const block = makeBlock(regtest, [coinbaseTx(1), spendTx(), spendTx(3, 1)])
    expect(encodeBlock(decodeBlock(encodeBlock(block), MAX))).toEqual(encodeBlock(block))
    const h = block.header
    expect(parseHeader(serializeHeader(h))).toEqual({ ...h, prevHash: new Uint8Array(h.prevHash), merkleRoot: new Uint8Array(h.merkleRoot) })
    expect(decodeHeaderMessage(encodeHeaderMessage(h)).nonce).toBe(h.nonce)
  })

  it('rejects an explicitly encoded default field', () => {
    // version = 0 written explicitly: protobuf accepts it, canonical encoding omits it
    const explicit = protobuf.Writer.create().uint32((1 << 3) | 0).uint32(0).finish()
    expect(() => decodeTx(explicit, MAX)).toThrow(DecodeError)
    try { decodeTx(explicit, MAX) } catch (e) { expect((e as DecodeError).code).toBe('decode-noncanonical') }
  })

  it('rejects unknown fields, reordered fields, long varints and trailing bytes', () => {
    const bytes = encodeTx(spendTx())
    const unknown = new Uint8Array([...bytes, (9 << 3) | 0, 1])
    expect(() => decodeTx(unknown, MAX)).toThrow(/canonical/)
    // lock time 5 then version 1: valid protobuf, wrong field order
    const reordered = protobuf.Writer.create().uint32((4 << 3) | 0).uint32(5).uint32((1 << 3) | 0).uint32(1).finish()
    expect(() => decodeTx(reordered, MAX)).toThrow(/canonical/)
    // version 1 as a two-byte varint 0x81 0x00
    const longVarint = new Uint8Array([(1 << 3) | 0, 0x81, 0x00])
    expect(() => decodeTx(longVarint, MAX)).toThrow(/canonical/)
  })

  it('rejects oversized input before decoding', () => {
    const bytes = encodeTx(spendTx())
    expect(() => decodeTx(bytes, bytes.length - 1)).toThrow(expect.objectContaining({ code: 'decode-oversized' }))
  })

  it('throws only DecodeError on random and truncated bytes', () => {
    const good = encodeBlock(makeBlock(regtest, [coinbaseTx(1), spendTx()]))
    const inputs: Uint8Array[] = []
    for (let i = 0; i < 2000; i++) inputs.push(new Uint8Array(randomBytes(i % 300)))
    for (let cut = 0; cut < good.length; cut++) inputs.push(good.subarray(0, cut))
    for (let i = 0; i < 500; i++) {
      const flipped = new Uint8Array(good)
      flipped[i % good.length] ^= 1 << (i % 8)
      inputs.push(flipped)
    }
    for (const bytes of inputs) {
      for (const decode of [(b: Uint8Array) => decodeTx(b, MAX), (b: Uint8Array) => decodeBlock(b, MAX), decodeHeaderMessage]) {
        try { decode(bytes) } catch (err) { expect(err).toBeInstanceOf(DecodeError) }
      }
    }
    expect(() => parseHeader(new Uint8Array(79))).toThrow(DecodeError)
  })
})
