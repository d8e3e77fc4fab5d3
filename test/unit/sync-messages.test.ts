import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import {
  decodeSyncRequest, decodeSyncResponse, encodeBlocksResponse, encodeErrorResponse, encodeHeadersResponse,
  encodeStatusResponse, encodeSyncRequest
} from '../../src/p2p/sync-messages.js'
import { DecodeError } from '../../src/core/errors.js'
import { encodeBlock } from '../../src/core/encoding.js'
import { blockHashHex } from '../../src/core/block.js'
import { regtest } from '../../src/core/params.js'
import { genesisTip, mineChain, newKey } from '../../bench/support/chain-fixtures.js'
import { rand } from '../../bench/support/core-fixtures.js'
import { wire } from '../../src/core/wire/schema.js'
import { bigIntToBytes } from '../../src/core/bytes.js'

const MAX = 1_000_000
const request = (b: Uint8Array): ReturnType<typeof decodeSyncRequest> => decodeSyncRequest(b, MAX, 64, 16)
const response = (b: Uint8Array): ReturnType<typeof decodeSyncResponse> => decodeSyncResponse(b, MAX, 2000, 16)

describe('sync protocol messages', () => {
  const { blocks } = mineChain(genesisTip(), 3, newKey())

  it('round-trip every request and response', () => {
    const status = { genesis: rand(32), tip: rand(32), height: 7, work: (1n << 200n) + 5n }
    // bytes come back as Buffers: compare as plain data
    const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v) => typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v))
    expect(plain(request(encodeSyncRequest({ kind: 'status', status })))).toEqual(plain({ kind: 'status', status }))
    const locator = [rand(32), rand(32)]
    expect(plain(request(encodeSyncRequest({ kind: 'getHeaders', locator, stop: new Uint8Array(0), max: 2000 })))).toEqual(plain({ kind: 'getHeaders', locator, stop: new Uint8Array(0), max: 2000 }))
    expect(plain(request(encodeSyncRequest({ kind: 'getBlocks', hashes: locator })))).toEqual(plain({ kind: 'getBlocks', hashes: locator }))
    expect(plain(response(encodeStatusResponse(status)))).toEqual(plain({ kind: 'status', status }))
    const headers = response(encodeHeadersResponse(blocks.map(b => b.header)))
    expect(headers.kind === 'headers' && headers.headers.map(blockHashHex)).toEqual(blocks.map(b => blockHashHex(b.header)))
    const missing = rand(32)
    const reply = response(encodeBlocksResponse(blocks.map(encodeBlock), [missing]))
    expect(reply.kind).toBe('blocks')
    if (reply.kind === 'blocks') {
      expect(reply.blocks.map(b => blockHashHex(b.header))).toEqual(blocks.map(b => blockHashHex(b.header)))
      expect(reply.notFound.map(h => Buffer.from(h).toString('hex'))).toEqual([Buffer.from(missing).toString('hex')])
    }
    expect(response(encodeErrorResponse('busy', 'try later'))).toEqual({ kind: 'error', code: 'busy', message: 'try later' })
  })

  it('enforces counts and exact hash lengths', () => {
    const tooMany = Array.from({ length: 65 }, () => rand(32))
    expect(() => request(encodeSyncRequest({ kind: 'getHeaders', locator: tooMany, stop: new Uint8Array(0), max: 1 }))).toThrow(/at most 64/)
    expect(() => request(encodeSyncRequest({ kind: 'getBlocks', hashes: tooMany.slice(0, 17) }))).toThrow(/at most 16/)
    expect(() => request(encodeSyncRequest({ kind: 'getBlocks', hashes: [rand(31)] }))).toThrow(DecodeError)
    expect(() => request(encodeSyncRequest({ kind: 'status', status: { genesis: rand(31), tip: rand(32), height: 1, work: 1n } }))).toThrow(DecodeError)
    const many = mineChain(genesisTip(), 17, newKey()).blocks
    expect(() => response(encodeBlocksResponse(many.map(encodeBlock), []))).toThrow(/at most 16/)
    expect(() => decodeSyncResponse(encodeHeadersResponse(many.map(b => b.header)), MAX, 10, 16)).toThrow(/at most 10/)
    expect(() => request(new Uint8Array(0))).toThrow(/no body/)
    expect(() => decodeSyncRequest(new Uint8Array(2000), 1000, 64, 16)).toThrow(expect.objectContaining({ code: 'decode-oversized' }))
  })

  it('throws only DecodeError on random, truncated and bit-flipped bytes', () => {
    const good = encodeBlocksResponse(blocks.map(encodeBlock), [])
    const inputs: Uint8Array[] = []
    for (let i = 0; i < 1500; i++) inputs.push(new Uint8Array(randomBytes(i % 400)))
    for (let cut = 0; cut < good.length; cut += 3) inputs.push(good.subarray(0, cut))
    for (let i = 0; i < 400; i++) {
      const flipped = new Uint8Array(good)
      flipped[(i * 7) % good.length] ^= 1 << (i % 8)
      inputs.push(flipped)
    }
    for (const bytes of inputs) {
      for (const decode of [request, response]) {
        try { decode(bytes) } catch (err) { expect(err).toBeInstanceOf(DecodeError) }
      }
    }
    expect(regtest.id).toBe('regtest')
  })

  describe('accept only the canonical encoding (issue 9.8)', () => {
    const status = { genesis: rand(32), tip: rand(32), height: 7, work: 1000n }
    const locator = [rand(32)]
    // each honest message, and ways to encode the same value differently
    const requests = [
      encodeSyncRequest({ kind: 'status', status }),
      encodeSyncRequest({ kind: 'getHeaders', locator, stop: new Uint8Array(0), max: 2000 }),
      encodeSyncRequest({ kind: 'getBlocks', hashes: locator })
    ]
    const responses = [
      encodeStatusResponse(status),
      encodeHeadersResponse(blocks.map(b => b.header)),
      encodeBlocksResponse(blocks.map(encodeBlock), [rand(32)]),
      encodeErrorResponse('busy', 'try later')
    ]
    const unknownField = (m: Uint8Array): Uint8Array => new Uint8Array([...m, (9 << 3) | 0, 1])
    // the outer field's length written as a 2-byte varint where 1 byte would do (or one byte longer)
    const longLength = (m: Uint8Array): Uint8Array => {
      const tag = m[0]
      let len = 0; let shift = 0; let i = 1
      for (; ; i++) { len |= (m[i] & 0x7f) << shift; shift += 7; if ((m[i] & 0x80) === 0) break }
      const varint: number[] = []
      for (let v = len; ; ) { const b = v & 0x7f; v >>>= 7; if (v === 0) { varint.push(b | 0x80, 0); break } varint.push(b | 0x80) }
      return new Uint8Array([tag, ...varint, ...m.subarray(i + 1)])
    }

    it('accepts the canonical bytes', () => {
      for (const r of requests) expect(() => request(r)).not.toThrow()
      for (const r of responses) expect(() => response(r)).not.toThrow()
    })

    it('rejects unknown fields and over-long varints in requests and responses', () => {
      for (const r of requests) {
        expect(() => request(unknownField(r))).toThrow(expect.objectContaining({ code: 'decode-noncanonical' }))
        expect(() => request(longLength(r))).toThrow(expect.objectContaining({ code: 'decode-noncanonical' }))
      }
      for (const r of responses) {
        expect(() => response(unknownField(r))).toThrow(expect.objectContaining({ code: 'decode-noncanonical' }))
        expect(() => response(longLength(r))).toThrow(expect.objectContaining({ code: 'decode-noncanonical' }))
      }
    })

    it('rejects a status whose work has leading zero bytes, and a block inside a reply encoded differently', () => {
      // Status { genesis, tip, height, work } with work padded to 32 bytes: same number, other bytes
      const padded = wire.SyncResponse.encode({ status: { genesis: status.genesis, tip: status.tip, height: 7, work: bigIntToBytes(status.work, 32) } }).finish()
      expect(() => response(padded)).toThrow(expect.objectContaining({ code: 'decode-noncanonical' }))
      const paddedRequest = wire.SyncRequest.encode({ status: { genesis: status.genesis, tip: status.tip, height: 7, work: bigIntToBytes(status.work, 32) } }).finish()
      expect(() => request(paddedRequest)).toThrow(expect.objectContaining({ code: 'decode-noncanonical' }))
      // a block inside a reply carrying a field the canonical encoding does not have
      const raw = encodeBlock(blocks[0])
      const withDefault = new Uint8Array([...raw, (9 << 3) | 0, 0])
      expect(() => response(encodeBlocksResponse([withDefault], []))).toThrow(expect.objectContaining({ code: 'decode-noncanonical' }))
    })
  })
})
