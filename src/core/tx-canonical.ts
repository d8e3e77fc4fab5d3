// A transaction read straight from its canonical bytes, without the generic
// protobuf decoder and without encoding it again to prove it canonical.
//
// encodeTx writes one shape only: fields in number order, each present only
// when not its default (no zero integers, no empty bytes), one-byte tags,
// minimal varints, every input and output a nested message of the same kind.
// This reader accepts exactly that shape and nothing else, so whatever it
// returns re-encodes to the very bytes it read (test/unit/tx-canonical.test.ts
// checks that against the protobuf codec, on valid and on mangled bytes).
// Anything else (an unknown field, a zero written out, a long varint, a
// truncation) gives undefined, and the caller falls back to the full decoder,
// which reports precisely what is wrong. Acceptance (the API, gossip) and
// every block decode each transaction: this is their first step.
import type { Transaction, TxInput, TxOutput } from './types.js'

const EMPTY_TX = 0

const VERSION = 0x08
const INPUT = 0x12
const OUTPUT = 0x1a
const LOCK_TIME = 0x20
const COINBASE = 0x2a
const PREV_TXID = 0x0a
const PREV_INDEX = 0x10
const PUBLIC_KEY = 0x1a
const SIGNATURE = 0x22
const AMOUNT = 0x08
const ADDRESS = 0x12

/** Reads positions and values; `pos` is -1 once anything was not canonical. */
class Cursor {
  pos = 0
  constructor (readonly bytes: Uint8Array, public end: number) {}

  /** A minimal, non-zero varint below 2^32 (a uint32 field that is present). */
  u32 (): number {
    const b = this.bytes
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) return this.fail()
      const x = b[this.pos++]
      value += (x & 0x7f) * 2 ** shift
      if (x < 0x80) {
        // a longer varint than needed ends in a zero byte; a present field is never 0
        if ((x === 0 && shift > 0) || value === 0 || value > 0xffffffff) return this.fail()
        return value
      }
    }
    return this.fail()
  }

  /** A minimal, non-zero varint below 2^64, as a bigint. */
  u64 (): bigint {
    const b = this.bytes
    let lo = 0 // bits 0..27
    let hi = 0n
    let n = 0
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) return BigInt(this.fail())
      const x = b[this.pos++]
      if (n < 4) lo += (x & 0x7f) * 2 ** shift
      else hi |= BigInt(x & 0x7f) << BigInt(shift)
      n++
      if (x < 0x80) {
        if (x === 0 && shift > 0) return BigInt(this.fail())
        const value = hi | BigInt(lo)
        if (value === 0n || value >= 2n ** 64n) return BigInt(this.fail())
        return value
      }
    }
    return BigInt(this.fail())
  }

  /** A length prefix (minimal) and the content's end; the content must not be empty unless `mayBeEmpty`. */
  length (mayBeEmpty: boolean): number {
    const b = this.bytes
    let length = 0
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.pos >= this.end) return this.fail()
      const x = b[this.pos++]
      length += (x & 0x7f) * 2 ** shift
      if (x < 0x80) {
        if (x === 0 && shift > 0) return this.fail()
        if ((length === 0 && !mayBeEmpty) || this.pos + length > this.end) return this.fail()
        return this.pos + length
      }
    }
    return this.fail()
  }

  /** A non-empty bytes field's content, as a view. */
  bytesField (): Uint8Array {
    const to = this.length(false)
    if (to < 0) return new Uint8Array(0)
    const out = this.bytes.subarray(this.pos, to)
    this.pos = to
    return out
  }

  fail (): number {
    this.pos = -1
    this.end = -1
    return -1
  }

  /** The next tag, or -1 at the end (or after a failure). */
  peek (): number {
    return this.pos >= 0 && this.pos < this.end ? this.bytes[this.pos] : -1
  }
}

function readInput (c: Cursor): TxInput {
  const outerEnd = c.end
  const to = c.length(true)
  const input: TxInput = { prevTxid: new Uint8Array(0), prevIndex: 0, publicKey: new Uint8Array(0), signature: new Uint8Array(0) }
  if (to < 0) return input
  c.end = to
  if (c.peek() === PREV_TXID) { c.pos++; input.prevTxid = c.bytesField() }
  if (c.peek() === PREV_INDEX) { c.pos++; input.prevIndex = c.u32() }
  if (c.peek() === PUBLIC_KEY) { c.pos++; input.publicKey = c.bytesField() }
  if (c.peek() === SIGNATURE) { c.pos++; input.signature = c.bytesField() }
  if (c.pos !== to) c.fail()
  else c.end = outerEnd
  return input
}

function readOutput (c: Cursor): TxOutput {
  const outerEnd = c.end
  const to = c.length(true)
  const output: TxOutput = { amount: 0n, address: new Uint8Array(0) }
  if (to < 0) return output
  c.end = to
  if (c.peek() === AMOUNT) { c.pos++; output.amount = c.u64() }
  if (c.peek() === ADDRESS) { c.pos++; output.address = c.bytesField() }
  if (c.pos !== to) c.fail()
  else c.end = outerEnd
  return output
}

/**
 * The transaction `bytes` canonically encode, its fields views of `bytes`;
 * undefined when the bytes are not exactly what encodeTx writes.
 */
export function readCanonicalTx (bytes: Uint8Array): Transaction | undefined {
  const c = new Cursor(bytes, bytes.length)
  const tx: Transaction = { version: EMPTY_TX, inputs: [], outputs: [], lockTime: 0, coinbase: new Uint8Array(0) }
  if (c.peek() === VERSION) { c.pos++; tx.version = c.u32() }
  while (c.peek() === INPUT) { c.pos++; tx.inputs.push(readInput(c)) }
  while (c.peek() === OUTPUT) { c.pos++; tx.outputs.push(readOutput(c)) }
  if (c.peek() === LOCK_TIME) { c.pos++; tx.lockTime = c.u32() }
  if (c.peek() === COINBASE) { c.pos++; tx.coinbase = c.bytesField() }
  return c.pos === bytes.length ? tx : undefined
}
