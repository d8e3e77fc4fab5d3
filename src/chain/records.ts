// Fixed-width binary records of the chain database. Consensus data (blocks)
// is stored in its canonical wire encoding; these are the node's own indexes.
import { bigIntToBytes, bytesToBigInt } from '../core/bytes.js'
import type { BlockHeader } from '../core/types.js'
import { serializeHeader } from '../core/encoding.js'

/** An unspent output and where it was created. */
export interface Coin {
  amount: bigint
  address: Uint8Array
  height: number
  coinbase: boolean
}

export const COIN_BYTES = 8 + 20 + 4 + 1

// One scratch word for the amount: DataView has the only big-endian u64
// access, and a DataView per coin was a fifth of a block's allocations.
const word = new DataView(new ArrayBuffer(8))
const wordBytes = new Uint8Array(word.buffer)

function readU32be (b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0
}

export function encodeCoin (c: Coin, out: Uint8Array = new Uint8Array(COIN_BYTES), offset = 0): Uint8Array {
  word.setBigUint64(0, c.amount)
  out.set(wordBytes, offset)
  out.set(c.address, offset + 8)
  const h = c.height
  out[offset + 28] = h >>> 24
  out[offset + 29] = (h >>> 16) & 0xff
  out[offset + 30] = (h >>> 8) & 0xff
  out[offset + 31] = h & 0xff
  out[offset + 32] = c.coinbase ? 1 : 0
  return out
}

/** The coin's address is a view of `bytes` (records are never written to after they are made). */
export function decodeCoin (bytes: Uint8Array, offset = 0): Coin {
  wordBytes.set(bytes.subarray(offset, offset + 8))
  return {
    amount: word.getBigUint64(0),
    address: bytes.subarray(offset + 8, offset + 28),
    height: readU32be(bytes, offset + 28),
    coinbase: bytes[offset + 32] === 1
  }
}

// The fields of an encoded coin read in place (the mempool's lookups: no Coin per input).
export const COIN_ADDRESS_AT = 8

export function coinAmountAt (bytes: Uint8Array): bigint {
  const hi = readU32be(bytes, 0)
  const lo = readU32be(bytes, 4)
  // one BigInt when exact as a double (every amount up to 2^53, so every valid one)
  return hi < 0x200000 ? BigInt(hi * 0x100000000 + lo) : (BigInt(hi) << 32n) | BigInt(lo)
}

export function coinHeightAt (bytes: Uint8Array): number {
  return readU32be(bytes, 28)
}

export function isCoinbaseCoinAt (bytes: Uint8Array): boolean {
  return bytes[32] === 1
}

/** Undo data of a block: the coins its inputs spent, in input order. */
export function encodeUndo (coins: Coin[]): Uint8Array {
  const out: Uint8Array = new Uint8Array(coins.length * COIN_BYTES)
  coins.forEach((c, i) => encodeCoin(c, out, i * COIN_BYTES))
  return out
}

export function decodeUndo (bytes: Uint8Array): Coin[] {
  if (bytes.length % COIN_BYTES !== 0) throw new Error('corrupt undo record')
  const coins: Coin[] = []
  for (let off = 0; off < bytes.length; off += COIN_BYTES) coins.push(decodeCoin(bytes, off))
  return coins
}

export const STATUS_HAVE_DATA = 1
export const STATUS_INVALID = 2

/** A block index entry as stored: header, height, cumulative work, status. */
export interface IndexRecord {
  header: BlockHeader
  height: number
  work: bigint
  status: number
}

const INDEX_RECORD_BYTES = 80 + 4 + 32 + 1

export function encodeIndexRecord (r: IndexRecord): Uint8Array {
  const out: Uint8Array = new Uint8Array(INDEX_RECORD_BYTES)
  out.set(serializeHeader(r.header), 0)
  const view = new DataView(out.buffer)
  view.setUint32(80, r.height)
  out.set(bigIntToBytes(r.work, 32), 84)
  view.setUint8(116, r.status)
  return out
}

/** A plain Uint8Array over 32 bytes of `b` (a database read is a Buffer, whose subarray() builds a slower Buffer). */
export function view32 (b: Uint8Array, offset: number): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + offset, 32)
}

/**
 * The record's header hashes are views into `bytes`, not copies: the caller
 * hands over a record it does not reuse (a database read), and a node
 * restoring thousands of entries at start allocated two buffers more each.
 */
export function decodeIndexRecord (bytes: Uint8Array): IndexRecord {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length < INDEX_RECORD_BYTES) throw new RangeError(`an index record is ${INDEX_RECORD_BYTES} bytes, got ${bytes.length}`)
  // the header as parseHeader reads it (little-endian fields), with views for its hashes
  const header: BlockHeader = {
    version: view.getUint32(0, true),
    prevHash: view32(bytes, 4),
    merkleRoot: view32(bytes, 36),
    time: view.getUint32(68, true),
    bits: view.getUint32(72, true),
    nonce: view.getUint32(76, true)
  }
  return {
    header,
    height: view.getUint32(80),
    work: bytesToBigInt(bytes, 84, 116),
    status: view.getUint8(116)
  }
}

/** Where a confirmed transaction lives. */
export interface TxLocation {
  blockHash: Uint8Array
  height: number
  index: number
}

export const TX_LOCATION_BYTES = 40

export function encodeTxLocation (l: TxLocation, out: Uint8Array = new Uint8Array(TX_LOCATION_BYTES)): Uint8Array {
  writeTxLocation(out, 0, l.blockHash, l.height, l.index)
  return out
}

/** encodeTxLocation written into `out` at `at`, without a record object (a block's packed batch). */
export function writeTxLocation (out: Uint8Array, at: number, blockHash: Uint8Array, height: number, index: number): void {
  out.set(blockHash, at)
  writeU32be(out, at + 32, height)
  writeU32be(out, at + 36, index)
}

function writeU32be (b: Uint8Array, at: number, n: number): void {
  b[at] = n >>> 24
  b[at + 1] = (n >>> 16) & 0xff
  b[at + 2] = (n >>> 8) & 0xff
  b[at + 3] = n & 0xff
}

export function decodeTxLocation (bytes: Uint8Array): TxLocation {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { blockHash: bytes.slice(0, 32), height: view.getUint32(32), index: view.getUint32(36) }
}
