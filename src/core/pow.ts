// Proof of work: compact targets, work, and the retarget rule.
import { bytesToBigInt } from './bytes.js'

const TWO_256 = 1n << 256n

/**
 * Decodes Bitcoin's compact target encoding. Returns null for encodings that
 * are negative, zero or overflow 256 bits: such bits are invalid in a header.
 */
export function bitsToTarget (bits: number): bigint | null {
  const exponent = bits >>> 24
  const mantissa = bits & 0x007fffff
  if ((bits & 0x00800000) !== 0) return null // sign bit
  if (mantissa === 0) return null
  const target = exponent <= 3
    ? BigInt(mantissa >>> (8 * (3 - exponent)))
    : BigInt(mantissa) << BigInt(8 * (exponent - 3))
  if (target === 0n || target >= TWO_256) return null
  return target
}

export function targetToBits (target: bigint): number {
  if (target <= 0n || target >= TWO_256) throw new RangeError('target out of range')
  let size = Math.ceil(target.toString(16).length / 2)
  let mantissa: number
  if (size <= 3) {
    mantissa = Number(target << BigInt(8 * (3 - size)))
  } else {
    mantissa = Number(target >> BigInt(8 * (size - 3)))
  }
  // The mantissa's top bit is the sign bit: shift it out by growing the exponent.
  if ((mantissa & 0x00800000) !== 0) {
    mantissa >>>= 8
    size += 1
  }
  return ((size << 24) | mantissa) >>> 0
}

/** Hashes compare as big-endian 256-bit numbers (so a good hash starts with zeros). */
export function hashMeetsTarget (hash: Uint8Array, target: bigint): boolean {
  return bytesToBigInt(hash) <= target
}

/** Expected number of hashes to find a block at this target. */
export function workForTarget (target: bigint): bigint {
  return TWO_256 / (target + 1n)
}

export function workForBits (bits: number): bigint {
  const target = bitsToTarget(bits)
  if (target === null) throw new RangeError(`invalid bits 0x${bits.toString(16)}`)
  return workForTarget(target)
}

export interface RetargetParams {
  targetBlockTime: number
  retargetInterval: number
  powLimit: bigint
}

/**
 * The target for the block after a retarget interval. `actualTimespan` is the
 * time the last `retargetInterval` blocks took; it is clamped to a factor of
 * four either way so one interval cannot swing difficulty wildly.
 */
export function retarget (prevBits: number, actualTimespan: number, p: RetargetParams): number {
  const prevTarget = bitsToTarget(prevBits)
  if (prevTarget === null) throw new RangeError(`invalid bits 0x${prevBits.toString(16)}`)
  const expected = p.targetBlockTime * p.retargetInterval
  const clamped = Math.min(Math.max(actualTimespan, Math.floor(expected / 4)), expected * 4)
  let next = (prevTarget * BigInt(clamped)) / BigInt(expected)
  if (next > p.powLimit) next = p.powLimit
  if (next < 1n) next = 1n
  return targetToBits(next)
}
