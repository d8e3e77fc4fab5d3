// Walking canonical protobuf bytes without decoding them: the length-
// delimited fields of a message, each with its one-byte tag and a minimal
// length varint. Used where the bytes of a message's parts are wanted as
// they are (a block's transactions, a transaction's inputs): anything that
// is not in the one canonical shape is refused (undefined), and the caller
// falls back to the full decoder, which gives the precise error.

/** One length-delimited field: its tag byte and where its content lies. */
export interface RawField {
  tag: number
  /** Offset of the content (after tag and length). */
  start: number
  /** Offset just past the content. */
  end: number
}

/**
 * Reads a length-delimited field at `pos` whose tag must be one byte (field
 * number < 16) and whose length varint must be minimal and fit the bytes
 * left; undefined otherwise. Lengths of 2^28 or more (five varint bytes) are
 * refused: no message here comes close.
 */
export function readLengthDelimited (bytes: Uint8Array, pos: number, end: number = bytes.length): RawField | undefined {
  if (pos >= end) return undefined
  const tag = bytes[pos]
  // wire type 2 (length-delimited), one-byte tag
  if ((tag & 7) !== 2 || tag >= 0x80) return undefined
  let p = pos + 1
  let length = 0
  for (let shift = 0; shift < 28; shift += 7) {
    if (p >= end) return undefined
    const b = bytes[p++]
    length += (b & 0x7f) * 2 ** shift
    if (b < 0x80) {
      // minimal: a longer varint than needed ends in a zero byte
      if (b === 0 && shift > 0) return undefined
      const start = p
      if (start + length > end) return undefined
      return { tag, start, end: start + length }
    }
  }
  return undefined
}

/** Bytes a varint holding `n` (< 2^28) takes. */
function varintLength (n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4
}

/** Writes `n` as a varint at `pos`; returns the offset after it. */
export function writeVarint (out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  out[pos++] = n
  return pos
}

/**
 * A field of `length` content bytes with a one-byte tag: how many bytes it
 * takes in its message.
 */
export function fieldLength (length: number): number {
  return 1 + varintLength(length) + length
}
