import { encodeTx } from './encoding.js'
import { knownTxBytes, rememberTxBytes, txMemo, type TxMemo } from './tx-memo.js'
import { dsha256 } from './hash.js'
import { readU32le, toHex } from './bytes.js'
import { writeVarint } from './wire-walk.js'
import type { Transaction } from './types.js'

// Transactions are treated as immutable once built; their memo (encoding.ts)
// makes txid, size and signature hash free to ask for repeatedly.
function memoOf (tx: Transaction): TxMemo {
  return txMemo(tx) ?? rememberTxBytes(tx, encodeTx(tx))
}

/** Canonical bytes of the transaction (its wire encoding). */
export function txBytes (tx: Transaction): Uint8Array {
  return memoOf(tx).bytes
}

export function txSize (tx: Transaction): number {
  return txBytes(tx).length
}

export function txid (tx: Transaction): Uint8Array {
  const memo = memoOf(tx)
  return (memo.id ??= dsha256(memo.bytes))
}

export function txidHex (tx: Transaction): string {
  return toHex(txid(tx))
}

export function isCoinbase (tx: Transaction): boolean {
  return tx.inputs.length === 0 && tx.coinbase.length > 0
}

/** Height committed in a coinbase (first 4 bytes, little-endian), or -1 if absent. */
export function coinbaseHeight (tx: Transaction): number {
  return tx.coinbase.length >= 4 ? readU32le(tx.coinbase, 0) : -1
}

const SIGHASH_TAG = new TextEncoder().encode('minicoin-sighash-v1:')
const EMPTY = new Uint8Array(0)
const netPrefixes = new Map<string, Uint8Array>()

function networkPrefix (networkId: string): Uint8Array {
  let bytes = netPrefixes.get(networkId)
  if (bytes === undefined) {
    bytes = new TextEncoder().encode(networkId + ':')
    // a handful of networks in one process; never grows past a few
    if (netPrefixes.size < 16) netPrefixes.set(networkId, bytes)
  }
  return bytes
}

// The sighash message is built in one buffer reused for every transaction,
// and hashed through a view of it of the message's length, one view per
// length made once: a sighash allocates its digest and nothing else. (A
// fresh blanked copy per transaction was ~3.4 MB of a 3,000-transaction
// block's garbage: BENCHMARKS.md, issue 12 session 8.) Synchronous, so no
// two callers ever share it. A message longer than the buffer (a
// transaction of hundreds of inputs) gets a buffer of its own, so one such
// transaction does not leave a large buffer behind.
const SCRATCH_BYTES = 64 * 1024
const MAX_VIEWED = 4096
const scratch = new Uint8Array(SCRATCH_BYTES)
const views: Array<Uint8Array | undefined> = new Array(MAX_VIEWED + 1).fill(undefined)

/** Where a message of `n` bytes is built. */
function messageBuffer (n: number): Uint8Array {
  return n <= SCRATCH_BYTES ? scratch : new Uint8Array(n)
}

/** The first `n` bytes of `buffer`. */
function messageView (buffer: Uint8Array, n: number): Uint8Array {
  if (buffer !== scratch || n > MAX_VIEWED) return buffer.subarray(0, n)
  return (views[n] ??= scratch.subarray(0, n))
}

/**
 * The digest every input signs: the whole transaction with all signatures
 * blanked, prefixed by a tag and the network id so a signature cannot be
 * replayed on another network.
 */
export function sighash (tx: Transaction, networkId: string): Uint8Array {
  const known = knownTxBytes(tx)
  const net = networkPrefix(networkId)
  const lead = SIGHASH_TAG.length + net.length
  // the blanked bytes are cut straight into the message, after room for the tags
  let msg: Uint8Array = scratch
  let n = -1
  if (known !== undefined) {
    msg = messageBuffer(lead + known.length)
    n = blankSignaturesInto(known, msg, lead)
  }
  if (n < 0) {
    const body = encodeTx({ ...tx, inputs: tx.inputs.map(i => ({ ...i, signature: EMPTY })) })
    msg = messageBuffer(lead + body.length)
    msg.set(body, lead)
    n = lead + body.length
  }
  msg.set(SIGHASH_TAG, 0)
  msg.set(net, SIGHASH_TAG.length)
  return dsha256(messageView(msg, n))
}

export function outputsTotal (tx: Transaction): bigint {
  let total = 0n
  for (const o of tx.outputs) total += o.amount
  return total
}

const VERSION_TAG = (1 << 3) | 0
const INPUTS_TAG = (2 << 3) | 2
const PREV_INDEX_TAG = (2 << 3) | 0
const SIGNATURE_TAG = (4 << 3) | 2

/** Offset after the varint at `pos`, or -1 if it runs past `end`. */
function skipVarint (bytes: Uint8Array, pos: number, end: number): number {
  while (pos < end && bytes[pos] >= 0x80) pos++
  return pos < end ? pos + 1 : -1
}

// the end of the field fieldStart last read, module-level so reading allocates nothing
let fieldEnd = 0

/**
 * The content start of the length-delimited field at `pos` (one-byte tag,
 * minimal length varint, fits before `end`; its end in `fieldEnd`), or -1:
 * readLengthDelimited (wire-walk.ts) without its result object.
 */
function fieldStart (bytes: Uint8Array, pos: number, end: number): number {
  if (pos >= end) return -1
  const tag = bytes[pos]
  if ((tag & 7) !== 2 || tag >= 0x80) return -1
  let p = pos + 1
  let length = 0
  for (let shift = 0; shift < 28; shift += 7) {
    if (p >= end) return -1
    const b = bytes[p++]
    length += (b & 0x7f) * 2 ** shift
    if (b < 0x80) {
      if (b === 0 && shift > 0) return -1
      if (p + length > end) return -1
      fieldEnd = p + length
      return p
    }
  }
  return -1
}

/** Where an input's signature field starts (the input's end if it has none); -1 if not canonical. */
function signatureStart (bytes: Uint8Array, start: number, end: number): number {
  for (let q = start; q < end;) {
    if (bytes[q] === PREV_INDEX_TAG) {
      q = skipVarint(bytes, q + 1, end)
      if (q < 0) return -1
      continue
    }
    if (fieldStart(bytes, q, end) < 0) return -1
    // the signature is the last field of a canonical input
    if (bytes[q] === SIGNATURE_TAG) return fieldEnd === end ? q : -1
    q = fieldEnd
  }
  return end
}

function copyInto (out: Uint8Array, at: number, bytes: Uint8Array, from: number, to: number): number {
  for (let j = from; j < to; j++) out[at++] = bytes[j]
  return at
}

/**
 * The encoding of a transaction with every signature blanked, cut from its
 * canonical bytes into `out` after `lead` bytes left for the caller (`out`
 * holds at least `lead` + the bytes), instead of encoding it again;
 * returns the message's length. A canonical
 * Transaction is [version] inputs* outputs* [lock time] [coinbase]; in each
 * TxInput the signature (field 4) comes last, and a blank one is omitted:
 * so each input loses its signature field and its length shrinks by as
 * much, and every other byte is kept (never longer than the bytes). -1 if
 * the bytes are not in that shape (the caller then encodes;
 * test/unit/wire-fast-paths.test.ts and sighash.test.ts check the digests
 * are the same).
 */
function blankSignaturesInto (bytes: Uint8Array, out: Uint8Array, lead: number): number {
  const end = bytes.length
  let pos = 0
  if (bytes[0] === VERSION_TAG) pos = skipVarint(bytes, 1, end)
  if (pos < 0) return -1
  let at = copyInto(out, lead, bytes, 0, pos)
  while (pos < end && bytes[pos] === INPUTS_TAG) {
    const start = fieldStart(bytes, pos, end)
    if (start < 0) return -1
    const inputEnd = fieldEnd
    const keep = signatureStart(bytes, start, inputEnd)
    if (keep < 0) return -1
    out[at++] = INPUTS_TAG
    at = writeVarint(out, at, keep - start)
    at = copyInto(out, at, bytes, start, keep)
    pos = inputEnd
  }
  return copyInto(out, at, bytes, pos, end)
}
