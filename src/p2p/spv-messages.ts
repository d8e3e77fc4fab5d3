// Encoding of the SPV protocol's messages (proto/minicoin.proto: SpvRequest /
// SpvResponse). Decoders check shapes, exact lengths and counts and throw
// DecodeError, so a handler can treat any failure as the peer's fault.
//
// A response carries transactions whose txids a light client compares with
// Merkle leaves, so responses must be canonical: the decoder re-encodes what
// it decoded and rejects bytes that differ (the same rule as every other
// hashed message; see core/encoding.ts).
import { bytesOf, decodeWire, headerFromWire, headerToWire, txFromWire, txToWire } from '../core/encoding.js'
import { DecodeError } from '../core/errors.js'
import { equalBytes } from '../core/bytes.js'
import { wire, type minicoin } from '../core/wire/schema.js'
import { ADDRESS_BYTES, HASH_BYTES, type BlockHeader, type Transaction } from '../core/types.js'
import type { WireLimits } from './protocols.js'

/** Deepest Merkle branch there can be: 2^32 transactions in a block. */
export const MAX_BRANCH_LENGTH = 32

export interface SpvLimits {
  /** Largest request or response accepted, in bytes. */
  maxBytes: number
  locatorHashes: number
  headersPerReply: number
  proofsPerReply: number
}

/** The SPV bounds of a network's wire limits, for messages of at most `maxBytes`. */
export function spvLimitsOf (l: WireLimits, maxBytes: number): SpvLimits {
  return { maxBytes, locatorHashes: l.locatorHashes, headersPerReply: l.headersPerReply, proofsPerReply: l.proofsPerReply }
}

export type SpvRequest =
  | { kind: 'getHeaders', locator: Uint8Array[], stop: Uint8Array, max: number }
  /**
   * History of an address in (height, txid) order: from `fromHeight` when
   * `afterTxid` is empty, else strictly after the cursor (fromHeight, afterTxid).
   */
  | { kind: 'getAddressHistory', address: Uint8Array, fromHeight: number, max: number, afterTxid?: Uint8Array }
  | { kind: 'getTxProof', txid: Uint8Array }

/** A transaction and the Merkle branch tying it to a block header. */
export interface MerkleProof {
  blockHash: Uint8Array
  height: number
  /** Position of the transaction in the block. */
  index: number
  /** Sibling hashes, leaf to root. */
  branch: Uint8Array[]
  tx: Transaction
}

export type SpvResponse =
  | { kind: 'headers', headers: BlockHeader[] }
  /** tip: the server's active tip when it answered (address history replies; absent in tx-proof replies). */
  | { kind: 'proofs', proofs: MerkleProof[], more: boolean, tip?: { hash: Uint8Array, height: number } }
  | { kind: 'error', code: string, message: string }

// ---- wire shapes (generated from the .proto) ------------------------------------

type WireProof = minicoin.v1.MerkleProof.$Properties

function exactly (bytes: Uint8Array | null | undefined, length: number, what: string): Uint8Array {
  const b = bytesOf(bytes)
  if (b.length !== length) throw new DecodeError('decode-bad-length', `${what} must be ${length} bytes, got ${b.length}`)
  return b
}

function hashes (list: Uint8Array[] | null | undefined, max: number, what: string): Uint8Array[] {
  const l = list ?? []
  if (l.length > max) throw new DecodeError('decode-too-many', `${what}: ${l.length} hashes, at most ${max}`)
  for (const h of l) exactly(h, HASH_BYTES, `${what} hash`)
  return l
}

/** Exactly one body of a oneof: a message that sets two is malformed, not "the last one wins". */
function oneBody (present: boolean[], what: string): void {
  const n = present.filter(Boolean).length
  if (n === 0) throw new DecodeError('decode-empty', `${what} has no body`)
  if (n > 1) throw new DecodeError('decode-malformed', `${what} sets ${n} bodies`)
}

// ---- requests -------------------------------------------------------------------

export function encodeSpvRequest (r: SpvRequest): Uint8Array {
  switch (r.kind) {
    case 'getHeaders': return wire.SpvRequest.encode({ getHeaders: { locator: r.locator, stop: r.stop, max: r.max } }).finish()
    case 'getAddressHistory': return wire.SpvRequest.encode({ getAddressHistory: { address: r.address, fromHeight: r.fromHeight, max: r.max, ...(r.afterTxid !== undefined && r.afterTxid.length > 0 ? { afterTxid: r.afterTxid } : {}) } }).finish()
    case 'getTxProof': return wire.SpvRequest.encode({ getTxProof: { txid: r.txid } }).finish()
  }
}

/**
 * Like every decoder of peer data, accepts only the canonical encoding. This
 * is also what refuses two bodies: protobuf keeps the last of a oneof, so
 * oneBody() alone never sees two, but the bytes are not those of that message.
 */
export function decodeSpvRequest (bytes: Uint8Array, limits: SpvLimits): SpvRequest {
  const req = decodeSpvRequestFields(bytes, limits)
  if (!equalBytes(encodeSpvRequest(req), bytes)) throw new DecodeError('decode-noncanonical', 'spv request is not canonically encoded')
  return req
}

function decodeSpvRequestFields (bytes: Uint8Array, limits: SpvLimits): SpvRequest {
  const m = decodeWire(wire.SpvRequest, bytes, limits.maxBytes, 'spv request')
  oneBody([m.getHeaders != null, m.getAddressHistory != null, m.getTxProof != null], 'spv request')
  if (m.getHeaders != null) {
    const stop = bytesOf(m.getHeaders.stop)
    if (stop.length !== 0) exactly(stop, HASH_BYTES, 'stop hash')
    return { kind: 'getHeaders', locator: hashes(m.getHeaders.locator, limits.locatorHashes, 'locator'), stop, max: m.getHeaders.max ?? 0 }
  }
  if (m.getAddressHistory != null) {
    const a = m.getAddressHistory
    const after = bytesOf(a.afterTxid)
    if (after.length !== 0) exactly(after, HASH_BYTES, 'history cursor txid')
    return {
      kind: 'getAddressHistory',
      address: exactly(a.address, ADDRESS_BYTES, 'address'),
      fromHeight: a.fromHeight ?? 0,
      max: a.max ?? 0,
      ...(after.length > 0 ? { afterTxid: after } : {})
    }
  }
  return { kind: 'getTxProof', txid: exactly(m.getTxProof?.txid, HASH_BYTES, 'txid') }
}

// ---- responses ------------------------------------------------------------------

function proofToWire (p: MerkleProof): WireProof {
  return { blockHash: p.blockHash, height: p.height, index: p.index, branch: p.branch, transaction: txToWire(p.tx) }
}

function proofFromWire (m: WireProof): MerkleProof {
  const branch = hashes(m.branch, MAX_BRANCH_LENGTH, 'merkle branch')
  if (m.transaction == null) throw new DecodeError('decode-missing-tx', 'merkle proof has no transaction')
  return {
    blockHash: exactly(m.blockHash, HASH_BYTES, 'proof block hash'),
    height: m.height ?? 0,
    index: m.index ?? 0,
    branch,
    tx: txFromWire(m.transaction)
  }
}

export function encodeSpvResponse (r: SpvResponse): Uint8Array {
  switch (r.kind) {
    case 'headers': return wire.SpvResponse.encode({ headers: { headers: r.headers.map(headerToWire) } }).finish()
    case 'proofs': return wire.SpvResponse.encode({ proofs: { proofs: r.proofs.map(proofToWire), more: r.more, ...(r.tip !== undefined ? { tipHash: r.tip.hash, tipHeight: r.tip.height } : {}) } }).finish()
    case 'error': return wire.SpvResponse.encode({ error: { code: r.code, message: r.message } }).finish()
  }
}

export function decodeSpvResponse (bytes: Uint8Array, limits: SpvLimits): SpvResponse {
  const m = decodeWire(wire.SpvResponse, bytes, limits.maxBytes, 'spv response')
  oneBody([m.headers != null, m.proofs != null, m.error != null], 'spv response')
  let res: SpvResponse
  if (m.headers != null) {
    const list = m.headers.headers ?? []
    if (list.length > limits.headersPerReply) throw new DecodeError('decode-too-many', `${list.length} headers, at most ${limits.headersPerReply}`)
    res = { kind: 'headers', headers: list.map(headerFromWire) }
  } else if (m.proofs != null) {
    const list = m.proofs.proofs ?? []
    if (list.length > limits.proofsPerReply) throw new DecodeError('decode-too-many', `${list.length} proofs, at most ${limits.proofsPerReply}`)
    const tipHash = bytesOf(m.proofs.tipHash)
    res = { kind: 'proofs', proofs: list.map(proofFromWire), more: m.proofs.more === true }
    // a tip is both fields or neither (the re-encoding check below refuses a lone tip_height)
    if (tipHash.length > 0) res.tip = { hash: exactly(tipHash, HASH_BYTES, 'tip hash'), height: m.proofs.tipHeight ?? 0 }
  } else {
    res = { kind: 'error', code: m.error?.code ?? '', message: m.error?.message ?? '' }
  }
  // Fields that do not fit their type (a 40-bit "uint32", hashes of the wrong
  // length inside a header) also fail here, as a RangeError from the encoder.
  let again: Uint8Array
  try {
    again = encodeSpvResponse(res)
  } catch (err) {
    throw new DecodeError('decode-malformed', `spv response does not re-encode: ${(err as Error).message}`)
  }
  if (!equalBytes(again, bytes)) throw new DecodeError('decode-noncanonical', 'spv response is not canonically encoded')
  return res
}

// ---- one proof (the light node's own storage of verified proofs) ----------------

export function encodeMerkleProof (p: MerkleProof): Uint8Array {
  return wire.MerkleProof.encode(proofToWire(p)).finish()
}

/** Decodes a stored proof; throws DecodeError (a stored proof is still checked again before use). */
export function decodeMerkleProof (bytes: Uint8Array, maxBytes: number): MerkleProof {
  const proof = proofFromWire(decodeWire(wire.MerkleProof, bytes, maxBytes, 'merkle proof'))
  if (!equalBytes(encodeMerkleProof(proof), bytes)) throw new DecodeError('decode-noncanonical', 'merkle proof is not canonically encoded')
  return proof
}
