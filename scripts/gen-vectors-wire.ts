// Wire-message vectors of PROTOCOL.md (test/vectors/wire.json): canonical
// bytes of sync and SPV requests and responses and header announcements, and
// encodings the decoders must refuse, each with the code the reference
// decoder gives. Part of scripts/gen-vectors.ts.
import { concatBytes, toHex } from '../src/core/bytes.js'
import { blockHash } from '../src/core/block.js'
import { encodeBlock, encodeHeaderMessage } from '../src/core/encoding.js'
import { ValidationError } from '../src/core/errors.js'
import { dsha256 } from '../src/core/hash.js'
import { regtest } from '../src/core/params.js'
import { txid } from '../src/core/tx.js'
import { wire } from '../src/core/wire/schema.js'
import { limitsFor } from '../src/p2p/protocols.js'
import { decodeSpvRequest, decodeSpvResponse, encodeSpvRequest, encodeSpvResponse, spvLimitsOf } from '../src/p2p/spv-messages.js'
import { decodeSyncRequest, decodeSyncResponse, encodeBlocksResponse, encodeErrorResponse, encodeHeadersResponse, encodeStatusResponse, encodeSyncRequest } from '../src/p2p/sync-messages.js'
import { decodeHeaderAnnouncement, encodeHeaderAnnouncement } from '../src/p2p/validation/header.js'

export type WireKind = 'syncRequest' | 'syncResponse' | 'spvRequest' | 'spvResponse' | 'headerAnnouncement'

const limits = limitsFor(regtest)

/** The reference decoder of each message kind, with the limits a node applies. */
export function decodeAs (kind: WireKind, bytes: Uint8Array): unknown {
  switch (kind) {
    case 'syncRequest': return decodeSyncRequest(bytes, limits.requestBytes, limits.locatorHashes, limits.blocksPerReply)
    case 'syncResponse': return decodeSyncResponse(bytes, limits.responseBytes, limits.headersPerReply, limits.blocksPerReply)
    case 'spvRequest': return decodeSpvRequest(bytes, spvLimitsOf(limits, limits.requestBytes))
    case 'spvResponse': return decodeSpvResponse(bytes, spvLimitsOf(limits, limits.responseBytes))
    case 'headerAnnouncement': return decodeHeaderAnnouncement(bytes, limits.headerMessageBytes)
  }
}

export function wireOutcome (kind: WireKind, bytes: Uint8Array): string {
  try {
    decodeAs(kind, bytes)
    return 'ok'
  } catch (err) {
    if (err instanceof ValidationError) return err.code
    throw err
  }
}

/** unsigned LEB128 varint, as libp2p's length-prefixed frames */
function uvarint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return new Uint8Array(out)
}

export function wireVectors (): unknown {
  const g = regtest.genesis
  const gh = blockHash(g.header)
  const h1 = dsha256(new TextEncoder().encode('vector block 1'))
  const h2 = dsha256(new TextEncoder().encode('vector block 2'))
  const status = { genesis: gh, tip: h1, height: 5, work: 10n }
  const cases: Array<{ name: string, kind: WireKind, bytes: Uint8Array }> = []
  // `want` is the code the case is built to get: the generator refuses to write a vector that does not get it
  const add = (name: string, kind: WireKind, bytes: Uint8Array, want = 'ok'): void => {
    const got = wireOutcome(kind, bytes)
    if (got !== want) throw new Error(`wire vector "${name}": expected ${want}, the decoder gives ${got}`)
    cases.push({ name, kind, bytes })
  }

  // ---- sync requests
  add('Status request', 'syncRequest', encodeSyncRequest({ kind: 'status', status }))
  add('GetHeaders: two-hash locator, no stop, max 2000', 'syncRequest', encodeSyncRequest({ kind: 'getHeaders', locator: [h1, gh], stop: new Uint8Array(0), max: 2000 }))
  add('GetHeaders: empty locator (from genesis), stop hash, max 0', 'syncRequest', encodeSyncRequest({ kind: 'getHeaders', locator: [], stop: h2, max: 0 }))
  add('GetBlocks: two hashes', 'syncRequest', encodeSyncRequest({ kind: 'getBlocks', hashes: [h1, h2] }))
  add('Status with work padded by a leading zero byte', 'syncRequest', wire.SyncRequest.encode({ status: { genesis: gh, tip: h1, height: 5, work: new Uint8Array([0, 10]) } }).finish(), 'decode-noncanonical')
  add('two bodies (status and getBlocks)', 'syncRequest', concatBytes(encodeSyncRequest({ kind: 'status', status }), encodeSyncRequest({ kind: 'getBlocks', hashes: [h1] })), 'decode-noncanonical')
  add('no body', 'syncRequest', new Uint8Array(0), 'decode-empty')
  add('GetHeaders: a 31-byte locator hash', 'syncRequest', wire.SyncRequest.encode({ getHeaders: { locator: [h1.subarray(1)], max: 1 } }).finish(), 'decode-bad-hash')
  add('GetHeaders: 65 locator hashes', 'syncRequest', wire.SyncRequest.encode({ getHeaders: { locator: Array.from({ length: 65 }, () => h1) } }).finish(), 'decode-too-many')
  add('GetBlocks: 17 hashes', 'syncRequest', wire.SyncRequest.encode({ getBlocks: { hashes: Array.from({ length: 17 }, (_, i) => dsha256(new Uint8Array([i]))) } }).finish(), 'decode-too-many')
  add('Status: a 31-byte genesis', 'syncRequest', wire.SyncRequest.encode({ status: { genesis: gh.subarray(1), tip: h1, height: 5, work: new Uint8Array([10]) } }).finish(), 'decode-bad-status')
  add('GetHeaders: max written as explicit 0', 'syncRequest', concatBytes(new Uint8Array([0x12, 0x02, 0x18, 0x00])), 'decode-noncanonical')

  // ---- sync responses
  add('Status response', 'syncResponse', encodeStatusResponse(status))
  add('Headers: the regtest genesis header', 'syncResponse', encodeHeadersResponse([g.header]))
  add('Headers: none', 'syncResponse', encodeHeadersResponse([]))
  add('Blocks: the regtest genesis, one hash not found', 'syncResponse', encodeBlocksResponse([encodeBlock(g)], [h2]))
  add('Error', 'syncResponse', encodeErrorResponse('busy', 'try later'))
  add('Headers: a header with nonce 0 written explicitly', 'syncResponse', (() => {
    const header = concatBytes(encodeHeaderMessage({ ...g.header, nonce: 0 }), new Uint8Array([0x30, 0x00]))
    const headers = concatBytes(new Uint8Array([0x0a, header.length]), header)
    return concatBytes(new Uint8Array([0x12, headers.length]), headers)
  })(), 'decode-noncanonical')

  // ---- SPV requests
  add('SPV GetHeaders', 'spvRequest', encodeSpvRequest({ kind: 'getHeaders', locator: [gh], stop: new Uint8Array(0), max: 0 }))
  add('GetAddressHistory from height 0', 'spvRequest', encodeSpvRequest({ kind: 'getAddressHistory', address: new Uint8Array(20).fill(0x11), fromHeight: 0, max: 50 }))
  add('GetAddressHistory after a cursor', 'spvRequest', encodeSpvRequest({ kind: 'getAddressHistory', address: new Uint8Array(20).fill(0x11), fromHeight: 7, max: 0, afterTxid: h2 }))
  add('GetTxProof', 'spvRequest', encodeSpvRequest({ kind: 'getTxProof', txid: txid(g.transactions[0]) }))
  add('GetAddressHistory: a 19-byte address', 'spvRequest', wire.SpvRequest.encode({ getAddressHistory: { address: new Uint8Array(19), max: 1 } }).finish(), 'decode-bad-length')
  add('GetTxProof: a 31-byte txid', 'spvRequest', wire.SpvRequest.encode({ getTxProof: { txid: h1.subarray(1) } }).finish(), 'decode-bad-length')
  add('two bodies', 'spvRequest', concatBytes(encodeSpvRequest({ kind: 'getTxProof', txid: h1 }), encodeSpvRequest({ kind: 'getHeaders', locator: [], stop: new Uint8Array(0), max: 1 })), 'decode-noncanonical')
  add('no body', 'spvRequest', new Uint8Array(0), 'decode-empty')

  // ---- SPV responses
  const proof = { blockHash: gh, height: 0, index: 0, branch: [], tx: g.transactions[0] }
  add('Proofs: the regtest genesis coinbase (tx-proof reply)', 'spvResponse', encodeSpvResponse({ kind: 'proofs', proofs: [proof], more: false }))
  add('Proofs: empty history page with the server tip', 'spvResponse', encodeSpvResponse({ kind: 'proofs', proofs: [], more: false, tip: { hash: gh, height: 0 } }))
  add('Error not-found', 'spvResponse', encodeSpvResponse({ kind: 'error', code: 'not-found', message: 'no confirmed transaction' }))
  add('Proofs: tip_height without tip_hash', 'spvResponse', wire.SpvResponse.encode({ proofs: { tipHeight: 3 } }).finish(), 'decode-noncanonical')
  add('Proofs: a 31-byte branch hash', 'spvResponse', wire.SpvResponse.encode({ proofs: { proofs: [{ blockHash: gh, branch: [h1.subarray(1)], transaction: {} }] } }).finish(), 'decode-bad-length')
  add('Proofs: a proof without its transaction', 'spvResponse', wire.SpvResponse.encode({ proofs: { proofs: [{ blockHash: gh }] } }).finish(), 'decode-missing-tx')

  // ---- header announcements
  add('HeaderAnnouncement of the regtest genesis', 'headerAnnouncement', encodeHeaderAnnouncement(g.header))
  add('HeaderAnnouncement with an unknown field', 'headerAnnouncement', concatBytes(encodeHeaderAnnouncement(g.header), new Uint8Array([0x10, 0x01])), 'decode-noncanonical')

  const request = encodeSyncRequest({ kind: 'getBlocks', hashes: [h1, h2] })
  return {
    comment: 'Canonical bytes of protocol messages (regtest values) and encodings the reference decoders refuse, with their codes. A request/response frame is uvarint(length) || message.',
    messages: cases.map(c => ({ name: c.name, kind: c.kind, hex: toHex(c.bytes), result: wireOutcome(c.kind, c.bytes) })),
    frame: { message: toHex(request), frame: toHex(concatBytes(uvarint(request.length), request)) }
  }
}
