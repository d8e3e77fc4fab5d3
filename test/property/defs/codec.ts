// Decoders: whatever bytes arrive, they return a value or throw DecodeError,
// and what they accept round-trips (canonical messages byte for byte).
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeBlock, decodeHeaderMessage, decodeTx, encodeBlock, encodeHeaderMessage, encodeTx, parseHeader, serializeHeader } from '../../../src/core/encoding.js'
import { DecodeError } from '../../../src/core/errors.js'
import { decodeSyncRequest, decodeSyncResponse, encodeBlocksResponse, encodeErrorResponse, encodeHeadersResponse, encodeStatusResponse, encodeSyncRequest, type SyncResponse } from '../../../src/p2p/sync-messages.js'
import { decodeSpvRequest, decodeSpvResponse, encodeSpvRequest, encodeSpvResponse, type SpvLimits } from '../../../src/p2p/spv-messages.js'
import { decodeHeaderAnnouncement, encodeHeaderAnnouncement } from '../../../src/p2p/validation/header.js'
import * as arb from '../arbitraries.js'
import { defineProperty, onlyTyped, plain, type AnyPropertyDef } from '../harness.js'

/** A byte cap: usually generous, sometimes smaller than the message. */
const cap = fc.oneof({ weight: 4, arbitrary: fc.constant(1 << 20) }, { weight: 1, arbitrary: fc.nat({ max: 300 }) })

function encodeSyncResponse (r: SyncResponse): Uint8Array {
  switch (r.kind) {
    case 'status': return encodeStatusResponse(r.status)
    case 'headers': return encodeHeadersResponse(r.headers)
    case 'blocks': return encodeBlocksResponse(r.blocks.map(encodeBlock), r.notFound)
    case 'error': return encodeErrorResponse(r.code, r.message)
  }
}

const spvLimits = (maxBytes: number): SpvLimits => ({ maxBytes, locatorHashes: 64, headersPerReply: 2000, proofsPerReply: 200 })

/**
 * A decoder fed arbitrary bytes: only DecodeError escapes, a size cap holds,
 * and an accepted message re-encodes to exactly its bytes (`canonical`) or at
 * least decodes again to the same value.
 */
function decoderProperty<T> (name: string, bytes: fc.Arbitrary<Uint8Array>, decode: (b: Uint8Array, max: number) => T, encode: (v: T) => Uint8Array, canonical: boolean, capped = true): AnyPropertyDef {
  return defineProperty({
    name: `${name}: throws only DecodeError and round-trips what it accepts`,
    arbitraries: [bytes, cap],
    ciRuns: 150,
    predicate: async (b: Uint8Array, max: number) => {
      const r = await onlyTyped(() => decode(b, max), DecodeError)
      if (!r.ok) return
      if (capped) assert.ok(b.length <= max, `accepted ${b.length} bytes over a cap of ${max}`)
      const again = encode(r.value)
      if (canonical) assert.deepEqual(plain(again), plain(b), 'accepted bytes are not the canonical encoding of what they decode to')
      assert.deepEqual(plain(decode(again, Number.MAX_SAFE_INTEGER)), plain(r.value))
    }
  })
}

/** Structured values survive encode -> decode unchanged. */
function roundTripProperty<T> (name: string, value: fc.Arbitrary<T>, encode: (v: T) => Uint8Array, decode: (b: Uint8Array) => T): AnyPropertyDef {
  return defineProperty({
    name: `${name}: decode(encode(x)) is x`,
    arbitraries: [value],
    ciRuns: 100,
    predicate: (v: T) => {
      assert.deepEqual(plain(decode(encode(v))), plain(v))
    }
  })
}

const big = Number.MAX_SAFE_INTEGER

export const codecProperties: AnyPropertyDef[] = [
  decoderProperty('decodeTx', arb.wireBytes(arb.transaction, encodeTx), (b, max) => decodeTx(b, max), encodeTx, true),
  decoderProperty('decodeBlock', arb.wireBytes(arb.block, encodeBlock), (b, max) => decodeBlock(b, max), encodeBlock, true),
  decoderProperty('decodeHeaderMessage', arb.wireBytes(arb.header, encodeHeaderMessage), b => decodeHeaderMessage(b), encodeHeaderMessage, true, false),
  decoderProperty('decodeHeaderAnnouncement', arb.wireBytes(arb.header, encodeHeaderAnnouncement), (b, max) => decodeHeaderAnnouncement(b, max), encodeHeaderAnnouncement, true),
  decoderProperty('parseHeader (80-byte layout)', arb.wireBytes(arb.header, serializeHeader), b => parseHeader(b), serializeHeader, true, false),
  decoderProperty('decodeSyncRequest', arb.wireBytes(arb.syncRequest, encodeSyncRequest), (b, max) => decodeSyncRequest(b, max, 64, 16), encodeSyncRequest, false),
  decoderProperty('decodeSyncResponse', arb.wireBytes(arb.syncResponse, encodeSyncResponse), (b, max) => decodeSyncResponse(b, max, 2000, 16), encodeSyncResponse, false),
  decoderProperty('decodeSpvRequest', arb.wireBytes(arb.spvRequest, encodeSpvRequest), (b, max) => decodeSpvRequest(b, spvLimits(max)), encodeSpvRequest, false),
  decoderProperty('decodeSpvResponse', arb.wireBytes(arb.spvResponse, encodeSpvResponse), (b, max) => decodeSpvResponse(b, spvLimits(max)), encodeSpvResponse, true),
  roundTripProperty('transaction', arb.transaction, encodeTx, b => decodeTx(b, big)),
  roundTripProperty('block', arb.block, encodeBlock, b => decodeBlock(b, big)),
  roundTripProperty('header announcement', arb.header, encodeHeaderAnnouncement, b => decodeHeaderAnnouncement(b, big)),
  roundTripProperty('sync request', arb.syncRequest, encodeSyncRequest, b => decodeSyncRequest(b, big, 64, 16)),
  roundTripProperty('sync response', arb.syncResponse, encodeSyncResponse, b => decodeSyncResponse(b, big, 2000, 16)),
  roundTripProperty('spv request', arb.spvRequest, encodeSpvRequest, b => decodeSpvRequest(b, spvLimits(big))),
  roundTripProperty('spv response', arb.spvResponse, encodeSpvResponse, b => decodeSpvResponse(b, spvLimits(big)))
]
