// Small byte helpers shared by every subsystem.

export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/**
 * Hex of bytes[start, end). A database read is a Buffer: its own toString
 * makes no wrapper object, which counts when a node opening thousands of
 * records converts a key of each.
 */
export function hexOf (bytes: Uint8Array, start: number, end: number): string {
  return Buffer.isBuffer(bytes) ? bytes.toString('hex', start, end) : toHex(bytes.subarray(start, end))
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/

/** Parses hex; throws a TypeError naming `what` on odd length or non-hex characters. */
export function fromHex (hex: string, what = 'hex string'): Uint8Array {
  if (typeof hex !== 'string' || !HEX.test(hex)) throw new TypeError(`${what} must be an even-length hex string`)
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  // hashes, addresses and keys: a loop is cheaper than a Buffer object and a native call
  if (a.length <= 64) {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}

export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b)
}

export function concatBytes (...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}

export function isZero (bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false
  return true
}

/** Big-endian unsigned integer of bytes[start, end). */
export function bytesToBigInt (bytes: Uint8Array, start = 0, end = bytes.length): bigint {
  // up to 53 bits (an amount, a short chain's work): one number, no hex string
  const lead = end - 7
  let small = lead < start || bytes[lead] < 0x20
  for (let i = start; small && i < lead; i++) small = bytes[i] === 0
  if (small) {
    let n = 0
    for (let i = Math.max(start, lead); i < end; i++) n = n * 256 + bytes[i]
    return BigInt(n)
  }
  return end === start ? 0n : BigInt('0x' + hexOf(bytes, start, end))
}

/** Big-endian unsigned bytes of `n`, minimal length (empty for 0) unless `length` is given. */
export function bigIntToBytes (n: bigint, length?: number): Uint8Array {
  if (n < 0n) throw new RangeError('negative')
  let hex = n === 0n ? '' : n.toString(16)
  if (hex.length % 2 === 1) hex = '0' + hex
  if (length !== undefined) {
    if (hex.length > length * 2) throw new RangeError(`value does not fit in ${length} bytes`)
    hex = hex.padStart(length * 2, '0')
  }
  return fromHex(hex)
}

export function u32le (n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n >>> 0, true)
  return b
}

export function readU32le (bytes: Uint8Array, offset = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true)
}
