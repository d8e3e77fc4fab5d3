// Encoding of the sync protocol's messages (proto/minicoin.proto:
// SyncRequest / SyncResponse). Decoders check shapes and bounds and throw
// DecodeError, so a handler can treat any failure as the peer's fault.
// Like every decoder of peer data, they accept only the canonical encoding:
// the decoded message is encoded again and must give the same bytes.
import protobuf from 'protobufjs/minimal.js'
import { bigIntToBytes, bytesToBigInt, equalBytes } from '../core/bytes.js'
import { blockFromWire, bytesOf, decodeBlock, decodeWire, encodeBlock, headerFromWire, headerToWire } from '../core/encoding.js'
import { readLengthDelimited } from '../core/wire-walk.js'
import { DecodeError } from '../core/errors.js'
import { wire, type minicoin } from '../core/wire/schema.js'
import type { Block, BlockHeader } from '../core/types.js'

export interface ChainStatus {
  genesis: Uint8Array
  tip: Uint8Array
  height: number
  work: bigint
}

export type SyncRequest =
  | { kind: 'status', status: ChainStatus }
  | { kind: 'getHeaders', locator: Uint8Array[], stop: Uint8Array, max: number }
  | { kind: 'getBlocks', hashes: Uint8Array[] }

export type SyncResponse =
  | { kind: 'status', status: ChainStatus }
  | { kind: 'headers', headers: BlockHeader[] }
  | { kind: 'blocks', blocks: Block[], notFound: Uint8Array[] }
  | { kind: 'error', code: string, message: string }

type WireStatus = minicoin.v1.Status.$Properties

function statusToWire (s: ChainStatus): WireStatus {
  return { genesis: s.genesis, tip: s.tip, height: s.height, work: bigIntToBytes(s.work) }
}

function statusFromWire (m: WireStatus): ChainStatus {
  const genesis = bytesOf(m.genesis)
  const tip = bytesOf(m.tip)
  const work = bytesOf(m.work)
  if (genesis.length !== 32 || tip.length !== 32 || work.length > 32) throw new DecodeError('decode-bad-status', 'status hashes must be 32 bytes and work at most 32 bytes')
  return { genesis, tip, height: m.height ?? 0, work: bytesToBigInt(work) }
}

function checkHashes (hashes: Uint8Array[] | null | undefined, max: number, what: string): Uint8Array[] {
  const list = hashes ?? []
  if (list.length > max) throw new DecodeError('decode-too-many', `${what}: ${list.length} hashes, at most ${max}`)
  for (const h of list) if (h.length !== 32) throw new DecodeError('decode-bad-hash', `${what}: hashes must be 32 bytes`)
  return list
}

export function encodeSyncRequest (r: SyncRequest): Uint8Array {
  switch (r.kind) {
    case 'status': return wire.SyncRequest.encode({ status: statusToWire(r.status) }).finish()
    case 'getHeaders': return wire.SyncRequest.encode({ getHeaders: { locator: r.locator, stop: r.stop, max: r.max } }).finish()
    case 'getBlocks': return wire.SyncRequest.encode({ getBlocks: { hashes: r.hashes } }).finish()
  }
}

function requireCanonical (bytes: Uint8Array, reencoded: Uint8Array, what: string): void {
  // [REJECT] field order, explicit defaults, unknown fields, long varints, padded work...
  if (!equalBytes(bytes, reencoded)) throw new DecodeError('decode-noncanonical', `${what} is not canonically encoded`)
}

export function decodeSyncRequest (bytes: Uint8Array, maxBytes: number, maxLocator: number, maxBlocks: number): SyncRequest {
  const req = decodeSyncRequestFields(bytes, maxBytes, maxLocator, maxBlocks)
  let canonical: Uint8Array
  try {
    canonical = encodeSyncRequest(req)
  } catch (err) {
    throw new DecodeError('decode-noncanonical', `sync request does not re-encode: ${(err as Error).message}`)
  }
  requireCanonical(bytes, canonical, 'sync request')
  return req
}

function decodeSyncRequestFields (bytes: Uint8Array, maxBytes: number, maxLocator: number, maxBlocks: number): SyncRequest {
  const m = decodeWire(wire.SyncRequest, bytes, maxBytes, 'sync request')
  if (m.status != null) return { kind: 'status', status: statusFromWire(m.status) }
  if (m.getHeaders != null) {
    const stop = bytesOf(m.getHeaders.stop)
    if (stop.length !== 0 && stop.length !== 32) throw new DecodeError('decode-bad-hash', 'stop hash must be 32 bytes')
    return { kind: 'getHeaders', locator: checkHashes(m.getHeaders.locator, maxLocator, 'locator'), stop, max: m.getHeaders.max ?? 0 }
  }
  if (m.getBlocks != null) return { kind: 'getBlocks', hashes: checkHashes(m.getBlocks.hashes, maxBlocks, 'get blocks') }
  throw new DecodeError('decode-empty', 'sync request has no body')
}

export function encodeStatusResponse (status: ChainStatus): Uint8Array {
  return wire.SyncResponse.encode({ status: statusToWire(status) }).finish()
}

export function encodeHeadersResponse (headers: BlockHeader[]): Uint8Array {
  return wire.SyncResponse.encode({ headers: { headers: headers.map(headerToWire) } }).finish()
}

export function encodeErrorResponse (code: string, message: string): Uint8Array {
  return wire.SyncResponse.encode({ error: { code, message } }).finish()
}

/**
 * Blocks are stored in canonical wire bytes, so a reply embeds them as they
 * are: field 3 (blocks) of SyncResponse wrapping field 1 (repeated Block).
 */
export function encodeBlocksResponse (rawBlocks: Uint8Array[], notFound: Uint8Array[]): Uint8Array {
  const inner = protobuf.Writer.create()
  for (const raw of rawBlocks) inner.uint32((1 << 3) | 2).bytes(raw)
  for (const h of notFound) inner.uint32((2 << 3) | 2).bytes(h)
  const body = inner.finish()
  return protobuf.Writer.create().uint32((3 << 3) | 2).bytes(body).finish()
}

export function encodeSyncResponse (r: SyncResponse): Uint8Array {
  switch (r.kind) {
    case 'status': return encodeStatusResponse(r.status)
    case 'headers': return encodeHeadersResponse(r.headers)
    case 'blocks': return encodeBlocksResponse(r.blocks.map(encodeBlock), r.notFound)
    case 'error': return encodeErrorResponse(r.code, r.message)
  }
}

export function decodeSyncResponse (bytes: Uint8Array, maxBytes: number, maxHeaders: number, maxBlocks: number): SyncResponse {
  if (bytes instanceof Uint8Array && bytes.length <= maxBytes) {
    const blocks = decodeCanonicalBlocksReply(bytes, maxBytes, maxBlocks)
    if (blocks !== undefined) return blocks
  }
  const res = decodeSyncResponseFields(bytes, maxBytes, maxHeaders, maxBlocks)
  let canonical: Uint8Array
  try {
    canonical = encodeSyncResponse(res)
  } catch (err) {
    // a value the encoder refuses (e.g. a header field out of range) was not encoded by an honest peer
    throw new DecodeError('decode-noncanonical', `sync response does not re-encode: ${(err as Error).message}`)
  }
  requireCanonical(bytes, canonical, 'sync response')
  return res
}

function decodeSyncResponseFields (bytes: Uint8Array, maxBytes: number, maxHeaders: number, maxBlocks: number): SyncResponse {
  const m = decodeWire(wire.SyncResponse, bytes, maxBytes, 'sync response')
  if (m.status != null) return { kind: 'status', status: statusFromWire(m.status) }
  if (m.headers != null) {
    const list = m.headers.headers ?? []
    if (list.length > maxHeaders) throw new DecodeError('decode-too-many', `${list.length} headers, at most ${maxHeaders}`)
    return { kind: 'headers', headers: list.map(headerFromWire) }
  }
  if (m.blocks != null) {
    const list = m.blocks.blocks ?? []
    if (list.length > maxBlocks) throw new DecodeError('decode-too-many', `${list.length} blocks, at most ${maxBlocks}`)
    return { kind: 'blocks', blocks: list.map(blockFromWire), notFound: checkHashes(m.blocks.notFound, maxBlocks, 'not found') }
  }
  if (m.error != null) return { kind: 'error', code: m.error.code ?? '', message: m.error.message ?? '' }
  throw new DecodeError('decode-empty', 'sync response has no body')
}

const BLOCKS_REPLY_TAG = (3 << 3) | 2
const REPLY_BLOCK_TAG = (1 << 3) | 2
const REPLY_NOT_FOUND_TAG = (2 << 3) | 2

/**
 * A blocks reply in the one shape encodeBlocksResponse writes (one-byte
 * tags, minimal lengths, blocks before not-found hashes, each block
 * canonical: decodeBlock), decoded block by block without encoding the
 * reply again; each block keeps the bytes it came as, which the chain
 * stores. Undefined for anything else: the full decoder then gives the
 * precise error (or decodes another kind of reply).
 */
function decodeCanonicalBlocksReply (bytes: Uint8Array, maxBytes: number, maxBlocks: number): SyncResponse | undefined {
  const outer = readLengthDelimited(bytes, 0)
  if (outer === undefined || outer.tag !== BLOCKS_REPLY_TAG || outer.end !== bytes.length) return undefined
  const blocks: Block[] = []
  const notFound: Uint8Array[] = []
  try {
    for (let pos = outer.start; pos < outer.end;) {
      const f = readLengthDelimited(bytes, pos, outer.end)
      if (f === undefined) return undefined
      if (f.tag === REPLY_BLOCK_TAG && notFound.length === 0 && blocks.length < maxBlocks) {
        blocks.push(decodeBlock(bytes.subarray(f.start, f.end), maxBytes))
      } else if (f.tag === REPLY_NOT_FOUND_TAG && notFound.length < maxBlocks && f.end - f.start === 32) {
        notFound.push(bytes.slice(f.start, f.end))
      } else {
        return undefined
      }
      pos = f.end
    }
  } catch {
    return undefined
  }
  return { kind: 'blocks', blocks, notFound }
}
