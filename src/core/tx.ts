import { encodeTx } from './encoding.js'
import { knownTxBytes, rememberTxBytes, txMemo, type TxMemo } from './tx-memo.js'
import { dsha256 } from './hash.js'
import { readU32le, toHex } from './bytes.js'
import { fieldLength, readLengthDelimited, writeVarint } from './wire-walk.js'
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
  let msg = known !== undefined ? blankSignatures(known, lead) : undefined
  if (msg === undefined) {
    const body = encodeTx({ ...tx, inputs: tx.inputs.map(i => ({ ...i, signature: EMPTY })) })
    msg = new Uint8Array(lead + body.length)
    msg.set(body, lead)
  }
  msg.set(SIGHASH_TAG, 0)
  msg.set(net, SIGHASH_TAG.length)
  return dsha256(msg)
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

/** Where an input's signature field starts (the input's end if it has none); -1 if not canonical. */
function signatureStart (bytes: Uint8Array, start: number, end: number): number {
  for (let q = start; q < end;) {
    if (bytes[q] === PREV_INDEX_TAG) {
      q = skipVarint(bytes, q + 1, end)
      if (q < 0) return -1
      continue
    }
    const f = readLengthDelimited(bytes, q, end)
    if (f === undefined) return -1
    // the signature is the last field of a canonical input
    if (f.tag === SIGNATURE_TAG) return f.end === end ? q : -1
    q = f.end
  }
  return end
}

/**
 * The encoding of a transaction with every signature blanked, cut from its
 * canonical bytes instead of encoding it again. A canonical Transaction is
 * [version] inputs* outputs* [lock time] [coinbase]; in each TxInput the
 * signature (field 4) comes last, and a blank one is omitted: so each input
 * loses its signature field and its length shrinks by as much, and every
 * other byte is kept. Undefined if the bytes are not in that shape (the
 * caller then encodes; test/unit/sighash-bytes.test.ts checks the digests
 * are the same). The result starts with `lead` bytes left for the caller.
 */
function blankSignatures (bytes: Uint8Array, lead: number): Uint8Array | undefined {
  const end = bytes.length
  let pos = 0
  if (bytes[0] === VERSION_TAG) pos = skipVarint(bytes, 1, end)
  if (pos < 0) return undefined
  const prefix = pos
  const inputs: Array<{ start: number, keep: number }> = []
  let size = prefix
  while (pos < end && bytes[pos] === INPUTS_TAG) {
    const f = readLengthDelimited(bytes, pos, end)
    if (f === undefined) return undefined
    const keep = signatureStart(bytes, f.start, f.end)
    if (keep < 0) return undefined
    inputs.push({ start: f.start, keep })
    size += fieldLength(keep - f.start)
    pos = f.end
  }
  size += end - pos
  const out = new Uint8Array(lead + size)
  out.set(bytes.subarray(0, prefix), lead)
  let at = lead + prefix
  for (const input of inputs) {
    out[at++] = INPUTS_TAG
    at = writeVarint(out, at, input.keep - input.start)
    out.set(bytes.subarray(input.start, input.keep), at)
    at += input.keep - input.start
  }
  out.set(bytes.subarray(pos), at)
  return out
}
