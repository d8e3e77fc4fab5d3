// A transaction read straight from its canonical bytes: the one encoding
// encodeTx writes (encoding.ts), so no protobuf decode and no re-encoding to
// compare. Canonical (proto3 as protobufjs writes it): fields in number
// order, a field at its default (0, empty) absent, one-byte tags, minimal
// varints, no unknown fields:
//   Transaction: [08 version] (12 TxInput)* (1a TxOutput)* [20 lockTime] [2a coinbase]
//   TxInput:     [0a prevTxid] [10 prevIndex] [1a publicKey] [22 signature]
//   TxOutput:    [08 amount] [12 address]
// Anything else, and amounts of 2^53 or more, gives undefined: the caller
// then decodes the old way (protobufjs, re-encode, compare), which accepts
// exactly the canonical bytes and gives the precise error for the rest
// (test/unit/tx-parse.test.ts holds the two to the same answers).
import type { Transaction, TxInput, TxOutput } from './types.js'

// the parse position, module-level so reading a field allocates nothing
let pos = 0

/** A minimal varint of at most `maxBytes` bytes below `limit` (2^32 or 2^53) ending before `end`; -1 if not. */
function varint (bytes: Uint8Array, end: number, limit: number): number {
  let value = 0
  let scale = 1
  for (let i = 0; i < 8 && pos < end; i++) {
    const b = bytes[pos++]
    value += (b & 0x7f) * scale
    if (b < 0x80) {
      // minimal: a longer varint than needed ends in a zero byte; a present field is never 0
      if ((b === 0 && i > 0) || value === 0 || value >= limit) return -1
      return value
    }
    scale *= 128
  }
  return -1
}

/** The content end of a length-delimited field whose length starts at `pos`; -1 if it runs past `end` or is empty. */
function lengthDelimited (bytes: Uint8Array, end: number): number {
  const length = varint(bytes, end, 2 ** 32)
  if (length < 0 || pos + length > end) return -1
  return pos + length
}

const U32 = 2 ** 32
const SAFE = 2 ** 53

// An optional field of the message ending at `end`: its default when the
// next tag is not `tag`, null when it is there but malformed.

// An absent bytes field (every non-coinbase transaction's coinbase field):
// one shared empty array, not one per transaction alive as long as its block.
// Empty and frozen, so no holder can write to it.
const EMPTY = Object.freeze(new Uint8Array(0)) as Uint8Array

/** A bytes field (tag `tag`): empty when absent. */
function bytesField (bytes: Uint8Array, end: number, tag: number): Uint8Array | null {
  if (pos >= end || bytes[pos] !== tag) return EMPTY
  pos++
  const e = lengthDelimited(bytes, end)
  if (e < 0) return null
  const value = bytes.subarray(pos, e)
  pos = e
  return value
}

/** A varint field (tag `tag`) below `limit`: 0 when absent, -1 when malformed. */
function numberField (bytes: Uint8Array, end: number, tag: number, limit: number): number {
  if (pos >= end || bytes[pos] !== tag) return 0
  pos++
  return varint(bytes, end, limit)
}

function input (bytes: Uint8Array, end: number): TxInput | undefined {
  const prevTxid = bytesField(bytes, end, 0x0a)
  if (prevTxid === null) return undefined
  const prevIndex = numberField(bytes, end, 0x10, U32)
  if (prevIndex < 0) return undefined
  const publicKey = bytesField(bytes, end, 0x1a)
  if (publicKey === null) return undefined
  const signature = bytesField(bytes, end, 0x22)
  if (signature === null) return undefined
  return pos === end ? { prevTxid, prevIndex, publicKey, signature } : undefined
}

function output (bytes: Uint8Array, end: number): TxOutput | undefined {
  const amount = numberField(bytes, end, 0x08, SAFE)
  if (amount < 0) return undefined
  const address = bytesField(bytes, end, 0x12)
  if (address === null) return undefined
  return pos === end ? { amount: BigInt(amount), address } : undefined
}

/** The transaction `bytes` canonically encode, or undefined (see the top). */
export function parseCanonicalTx (bytes: Uint8Array): Transaction | undefined {
  const end = bytes.length
  pos = 0
  const version = numberField(bytes, end, 0x08, U32)
  if (version < 0) return undefined
  const inputs: TxInput[] = []
  while (pos < end && bytes[pos] === 0x12) {
    pos++
    const e = lengthDelimited(bytes, end)
    // an empty input would be written as a zero-length field: the old path decides
    if (e < 0 || e === pos) return undefined
    const i = input(bytes, e)
    if (i === undefined) return undefined
    inputs.push(i)
  }
  const outputs: TxOutput[] = []
  while (pos < end && bytes[pos] === 0x1a) {
    pos++
    const e = lengthDelimited(bytes, end)
    if (e < 0 || e === pos) return undefined
    const o = output(bytes, e)
    if (o === undefined) return undefined
    outputs.push(o)
  }
  const lockTime = numberField(bytes, end, 0x20, U32)
  if (lockTime < 0) return undefined
  const coinbase = bytesField(bytes, end, 0x2a)
  if (coinbase === null) return undefined
  return pos === end ? { version, inputs, outputs, lockTime, coinbase } : undefined
}
