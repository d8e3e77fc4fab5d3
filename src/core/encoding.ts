// Canonical encoding of transactions, headers and blocks.
//
// Protobuf allows many encodings of one message (field order, explicit
// defaults, unknown fields, long varints). Every decoder here re-encodes the
// decoded value and rejects bytes that differ, so a message has exactly one
// accepted encoding and hashes are well defined.
import protobuf from 'protobufjs/minimal.js'
import { wire, toLong, fromLong, type minicoin } from './wire/schema.js'
import { DecodeError } from './errors.js'
import { equalBytes } from './bytes.js'
import type { Block, BlockHeader, Transaction, TxInput, TxOutput } from './types.js'
import { HEADER_BYTES } from './types.js'
import { readLengthDelimited } from './wire-walk.js'
import { parseCanonicalTx } from './tx-parse.js'
import { rememberTxBytes } from './tx-memo.js'

// The generated shapes: a field renamed in the .proto fails to compile here.
type WireTx = minicoin.v1.Transaction.$Properties
type WireInput = minicoin.v1.TxInput.$Properties
type WireOutput = minicoin.v1.TxOutput.$Properties
type WireHeader = minicoin.v1.BlockHeader.$Properties
type WireBlock = minicoin.v1.Block.$Properties

function checkU32 (value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`${what} must be a uint32, got ${value}`)
  return value
}

/**
 * A decoded bytes field as bytes. The codecs drop empty fields and leave
 * absent ones at a shared prototype default: give every empty field its own
 * empty array, as the domain objects always had.
 */
export function bytesOf (value: Uint8Array | null | undefined): Uint8Array {
  return value != null && value.length > 0 ? value : new Uint8Array(0)
}

// ---- domain -> wire objects --------------------------------------------------

export function txToWire (tx: Transaction): WireTx {
  return {
    version: checkU32(tx.version, 'tx version'),
    // typed callbacks: an object literal is checked for unknown (renamed) fields only where its type is declared
    inputs: tx.inputs.map((i): WireInput => ({
      prevTxid: i.prevTxid,
      prevIndex: checkU32(i.prevIndex, 'input index'),
      publicKey: i.publicKey,
      signature: i.signature
    })),
    outputs: tx.outputs.map((o): WireOutput => ({ amount: toLong(o.amount, 'output amount'), address: o.address })),
    lockTime: checkU32(tx.lockTime, 'lock time'),
    coinbase: tx.coinbase
  }
}

export function headerToWire (h: BlockHeader): WireHeader {
  return {
    version: checkU32(h.version, 'header version'),
    prevHash: h.prevHash,
    merkleRoot: h.merkleRoot,
    time: checkU32(h.time, 'header time'),
    bits: checkU32(h.bits, 'header bits'),
    nonce: checkU32(h.nonce, 'header nonce')
  }
}

export function blockToWire (b: Block): WireBlock {
  return { header: headerToWire(b.header), transactions: b.transactions.map(txToWire) }
}

// ---- wire objects -> domain --------------------------------------------------

export function txFromWire (m: WireTx): Transaction {
  return {
    version: m.version ?? 0,
    inputs: (m.inputs ?? []).map((i): TxInput => ({
      prevTxid: bytesOf(i.prevTxid),
      prevIndex: i.prevIndex ?? 0,
      publicKey: bytesOf(i.publicKey),
      signature: bytesOf(i.signature)
    })),
    outputs: (m.outputs ?? []).map((o): TxOutput => ({ amount: fromLong(o.amount), address: bytesOf(o.address) })),
    lockTime: m.lockTime ?? 0,
    coinbase: bytesOf(m.coinbase)
  }
}

export function headerFromWire (m: WireHeader | null | undefined): BlockHeader {
  if (m == null) throw new DecodeError('decode-missing-header', 'block has no header')
  return {
    version: m.version ?? 0,
    prevHash: bytesOf(m.prevHash),
    merkleRoot: bytesOf(m.merkleRoot),
    time: m.time ?? 0,
    bits: m.bits ?? 0,
    nonce: m.nonce ?? 0
  }
}

export function blockFromWire (m: WireBlock): Block {
  return { header: headerFromWire(m.header), transactions: (m.transactions ?? []).map(txFromWire) }
}

// ---- bytes -------------------------------------------------------------------

/** Decodes with a generated codec, turning any failure into a typed DecodeError. */
export function decodeWire<M> (type: { decode: (bytes: Uint8Array) => M }, bytes: Uint8Array, maxBytes: number, what: string): M {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('decode-malformed', `${what}: expected bytes`)
  if (bytes.length > maxBytes) throw new DecodeError('decode-oversized', `${what} is ${bytes.length} bytes, limit ${maxBytes}`)
  try {
    return type.decode(bytes)
  } catch (err) {
    throw new DecodeError('decode-malformed', `${what} does not decode: ${(err as Error).message}`)
  }
}

function requireCanonical (bytes: Uint8Array, reencoded: Uint8Array, what: string): void {
  if (!equalBytes(bytes, reencoded)) throw new DecodeError('decode-noncanonical', `${what} is not canonically encoded`)
}

export function encodeTx (tx: Transaction): Uint8Array {
  return wire.Transaction.encode(txToWire(tx)).finish()
}

// Canonical bytes of transactions already encoded or decoded, so txid and
// size never encode the same (immutable) transaction twice.
export function decodeTx (bytes: Uint8Array, maxBytes: number): Transaction {
  // canonical bytes read directly (tx-parse.ts); anything else the old way, for its verdict and error
  if (bytes instanceof Uint8Array && bytes.length <= maxBytes) {
    const parsed = parseCanonicalTx(bytes)
    if (parsed !== undefined) {
      rememberTxBytes(parsed, bytes)
      return parsed
    }
  }
  const tx = txFromWire(decodeWire(wire.Transaction, bytes, maxBytes, 'transaction'))
  const canonical = encodeTx(tx)
  requireCanonical(bytes, canonical, 'transaction')
  rememberTxBytes(tx, canonical)
  return tx
}

export function encodeBlock (block: Block): Uint8Array {
  return wire.Block.encode(blockToWire(block)).finish()
}

// The canonical bytes a decoded block arrived as, so storing or serving it
// never encodes it again (a decoded block is never mutated).
const blockBytesCache = new WeakMap<Block, Uint8Array>()

/** The canonical bytes of a block: as it was decoded, or encoded now. */
export function blockBytes (block: Block): Uint8Array {
  return blockBytesCache.get(block) ?? encodeBlock(block)
}

export function decodeBlock (bytes: Uint8Array, maxBytes: number): Block {
  if (bytes instanceof Uint8Array && bytes.length <= maxBytes) {
    const fast = decodeCanonicalBlock(bytes, maxBytes)
    if (fast !== undefined) return fast
  }
  // not in the canonical shape (or not bytes): the full decoder names what is wrong
  const block = blockFromWire(decodeWire(wire.Block, bytes, maxBytes, 'block'))
  requireCanonical(bytes, encodeBlock(block), 'block')
  blockBytesCache.set(block, bytes.slice())
  return block
}

/**
 * A block in its canonical encoding, decoded part by part: the header field
 * first, then one field per transaction, each with a one-byte tag and a
 * minimal length, each part canonical itself (decodeTx and
 * decodeHeaderMessage re-encode and compare). Those are exactly the bytes
 * encodeBlock writes, so the whole block is canonical without encoding it
 * again, and each transaction keeps its own bytes for txid and sighash.
 * Undefined when the bytes are not in that shape or a part does not decode.
 */
function decodeCanonicalBlock (bytes: Uint8Array, maxBytes: number): Block | undefined {
  const head = readLengthDelimited(bytes, 0)
  if (head === undefined || head.tag !== BLOCK_HEADER_TAG) return undefined
  let block: Block
  try {
    const header = decodeHeaderMessage(bytes.subarray(head.start, head.end))
    const transactions: Transaction[] = []
    for (let pos = head.end; pos < bytes.length;) {
      const f = readLengthDelimited(bytes, pos)
      if (f === undefined || f.tag !== BLOCK_TX_TAG) return undefined
      transactions.push(decodeTx(bytes.subarray(f.start, f.end), maxBytes))
      pos = f.end
    }
    block = { header, transactions }
  } catch {
    // a bad part: the full decoder reports it as it always has
    return undefined
  }
  // a copy: a subarray would keep the whole message it came in (a sync reply) alive
  blockBytesCache.set(block, bytes.slice())
  return block
}

// ---- sizes and the header peek ----------------------------------------------
//
// A block's size, for the consensus limit and every wire limit alike, is the
// length of its canonical encoding: a Block message is its header field
// followed by one length-delimited field per transaction (field numbers below
// 16 take a one-byte tag).

const BLOCK_HEADER_TAG = (1 << 3) | 2
const BLOCK_TX_TAG = (2 << 3) | 2

/** Bytes of a protobuf varint holding `n`. */
export function varintBytes (n: number): number {
  let bytes = 1
  while (n >= 0x80) { n = Math.floor(n / 128); bytes++ }
  return bytes
}

/** Bytes a length-delimited field of `length` bytes (field number < 16) takes in its message. */
export function fieldBytes (length: number): number {
  return 1 + varintBytes(length) + length
}

/** Bytes the header field of a Block message takes. */
export function headerFieldBytes (h: BlockHeader): number {
  return fieldBytes(encodeHeaderMessage(h).length)
}

/**
 * The most a header field can take: every integer at its longest varint. A
 * template budgets this much, since the nonce and time change while mining.
 */
export const MAX_HEADER_FIELD_BYTES = fieldBytes(6 * 4 + 2 * (2 + 32))

/**
 * Reads only the header of an encoded Block: walks the message's fields with
 * a protobuf reader, decodes the header field (first, as in the canonical
 * encoding) and skips every transaction field without decoding it. Lets a
 * gossiped block's header be checked before anything is spent on its body.
 * The full decode later still rejects any non-canonical encoding.
 */
export function peekBlockHeader (bytes: Uint8Array, maxBytes: number): { header: BlockHeader, txCount: number } {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('decode-malformed', 'block: expected bytes')
  if (bytes.length > maxBytes) throw new DecodeError('decode-oversized', `block is ${bytes.length} bytes, limit ${maxBytes}`)
  const reader = protobuf.Reader.create(bytes)
  let header: BlockHeader | undefined
  let txCount = 0
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32()
      if (header === undefined && tag !== BLOCK_HEADER_TAG) throw new DecodeError('decode-noncanonical', 'block does not start with its header')
      if (header !== undefined && tag !== BLOCK_TX_TAG) throw new DecodeError('decode-noncanonical', `unexpected field tag ${tag} in a block`)
      const length = reader.uint32()
      const start = reader.pos
      reader.skip(length)
      if (header === undefined) header = decodeHeaderMessage(bytes.subarray(start, reader.pos))
      else txCount++
    }
  } catch (err) {
    if (err instanceof DecodeError) throw err
    throw new DecodeError('decode-malformed', `block does not decode: ${(err as Error).message}`)
  }
  if (header === undefined) throw new DecodeError('decode-missing-header', 'block has no header')
  return { header, txCount }
}

export function encodeHeaderMessage (h: BlockHeader): Uint8Array {
  return wire.BlockHeader.encode(headerToWire(h)).finish()
}

export function decodeHeaderMessage (bytes: Uint8Array): BlockHeader {
  const h = headerFromWire(decodeWire(wire.BlockHeader, bytes, 256, 'header'))
  requireCanonical(bytes, encodeHeaderMessage(h), 'header')
  return h
}

/** The fixed 80-byte layout that block hashes and proof of work are computed over. */
export function serializeHeader (h: BlockHeader): Uint8Array {
  if (h.prevHash.length !== 32 || h.merkleRoot.length !== 32) throw new DecodeError('header-bad-hash-length', 'header hashes must be 32 bytes')
  const out = new Uint8Array(HEADER_BYTES)
  const view = new DataView(out.buffer)
  view.setUint32(0, checkU32(h.version, 'header version'), true)
  out.set(h.prevHash, 4)
  out.set(h.merkleRoot, 36)
  view.setUint32(68, checkU32(h.time, 'header time'), true)
  view.setUint32(72, checkU32(h.bits, 'header bits'), true)
  view.setUint32(76, checkU32(h.nonce, 'header nonce'), true)
  return out
}

export function parseHeader (raw: Uint8Array): BlockHeader {
  if (raw.length !== HEADER_BYTES) throw new DecodeError('decode-bad-length', `a header is ${HEADER_BYTES} bytes, got ${raw.length}`)
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  return {
    version: view.getUint32(0, true),
    prevHash: raw.slice(4, 36),
    merkleRoot: raw.slice(36, 68),
    time: view.getUint32(68, true),
    bits: view.getUint32(72, true),
    nonce: view.getUint32(76, true)
  }
}
