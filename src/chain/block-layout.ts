// Where each transaction lies inside a stored block's canonical protobuf
// bytes, found by walking field tags and lengths without decoding anything.
// The explorer uses it to decode only the transactions a request asks for,
// and to find a transaction's spent coins in the block's undo record
// (one coin per input, in input order), instead of decoding whole blocks.
import { DecodeError } from '../core/errors.js'

export interface BlockLayout {
  /** Byte range [start, end) of transaction i's message inside the block bytes. */
  txStart: Uint32Array
  txEnd: Uint32Array
  /** Inputs of the transactions before i (= index of tx i's first coin in the undo record). */
  inputsBefore: Uint32Array
  txCount: number
}

const WIRE_VARINT = 0
const WIRE_LEN = 2
const BLOCK_TX_FIELD = 2
const TX_INPUT_FIELD = 2

function malformed (what: string): never {
  throw new DecodeError('decode-malformed', `stored block: ${what}`)
}

/** Reads a varint (at most 35 bits: tags and lengths) at `pos`; returns [value, next position]. */
function varint (bytes: Uint8Array, pos: number, end: number): [number, number] {
  let value = 0
  let shift = 0
  for (;;) {
    if (pos >= end || shift > 28) malformed('bad varint')
    const b = bytes[pos++]
    value += (b & 0x7f) * 2 ** shift
    if (b < 0x80) return [value, pos]
    shift += 7
  }
}

function skipVarint (bytes: Uint8Array, pos: number, end: number): number {
  for (let i = 0; i < 10; i++) {
    if (pos >= end) malformed('truncated varint')
    if (bytes[pos++] < 0x80) return pos
  }
  return malformed('varint too long')
}

/** Calls `onField(field, start, end)` for each length-delimited field of the message in [pos, end). */
function walkFields (bytes: Uint8Array, pos: number, end: number, onField: (field: number, start: number, end: number) => void): void {
  while (pos < end) {
    const [tag, afterTag] = varint(bytes, pos, end)
    const wire = tag & 7
    const field = Math.floor(tag / 8)
    if (wire === WIRE_VARINT) {
      pos = skipVarint(bytes, afterTag, end)
    } else if (wire === WIRE_LEN) {
      const [len, start] = varint(bytes, afterTag, end)
      if (start + len > end) malformed('field runs past its message')
      onField(field, start, start + len)
      pos = start + len
    } else {
      malformed(`unexpected wire type ${wire}`)
    }
  }
}

/** The layout of a block's bytes: O(transactions + inputs) steps, no allocation per transaction. */
export function blockLayout (bytes: Uint8Array): BlockLayout {
  const starts: number[] = []
  const ends: number[] = []
  walkFields(bytes, 0, bytes.length, (field, start, end) => {
    if (field === BLOCK_TX_FIELD) { starts.push(start); ends.push(end) }
  })
  const txCount = starts.length
  const inputsBefore = new Uint32Array(txCount + 1)
  for (let i = 0; i < txCount; i++) {
    let inputs = 0
    walkFields(bytes, starts[i], ends[i], field => { if (field === TX_INPUT_FIELD) inputs++ })
    inputsBefore[i + 1] = inputsBefore[i] + inputs
  }
  return { txStart: Uint32Array.from(starts), txEnd: Uint32Array.from(ends), inputsBefore, txCount }
}

/** Transaction i's bytes (a view into `bytes`). */
export function txBytesAt (bytes: Uint8Array, layout: BlockLayout, i: number): Uint8Array {
  return bytes.subarray(layout.txStart[i], layout.txEnd[i])
}
