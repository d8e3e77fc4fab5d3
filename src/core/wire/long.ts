// The one place uint64 meets protobufjs' Long. The generated codecs
// (minicoin.mjs) read `protobuf.util.Long` when they load, for their
// prototype defaults, and every uint64 read: schema.ts imports this module
// before them so they find the long library.
import protobuf from 'protobufjs/minimal.js'
import Long from 'long'

protobuf.util.Long = Long
protobuf.configure()

const U64_MAX = (1n << 64n) - 1n

/** A checked uint64 for the encoder (protobufjs would write 2^64 and above as garbage). */
export function toLong (value: bigint, what: string): Long {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) throw new RangeError(`${what} must be a uint64 bigint`)
  return Long.fromBits(Number(value & 0xffffffffn), Number(value >> 32n), true)
}

/** A decoded uint64 as bigint (absent: 0). */
export function fromLong (value: Long | number | null | undefined): bigint {
  if (value == null) return 0n
  if (typeof value === 'number') return BigInt(value)
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0)
}

export { Long }
