import { describe, expect, it } from 'vitest'
import { bitsToTarget, hashMeetsTarget, retarget, targetToBits, workForBits, workForTarget } from '../../src/core/pow.js'
import { devnet } from '../../src/core/params.js'

describe('proof of work', () => {
  it('decodes compact bits like Bitcoin', () => {
    expect(bitsToTarget(0x1d00ffff)).toBe(0xffffn << 208n)
    expect(bitsToTarget(0x1b0404cb)).toBe(0x0404cbn << 192n)
    expect(bitsToTarget(0x03123456)).toBe(0x123456n)
    expect(bitsToTarget(0x02123456)).toBe(0x1234n)
  })

  it('rejects negative, zero and overflowing bits', () => {
    expect(bitsToTarget(0x1d800000 | 0xffff)).toBeNull() // sign bit
    expect(bitsToTarget(0x1d000000)).toBeNull()
    expect(bitsToTarget(0x21010000)).toBeNull() // 2^256
    expect(bitsToTarget(0xff123456)).toBeNull()
  })

  it('round-trips targets through bits (with mantissa precision)', () => {
    for (const bits of [0x1d00ffff, 0x207fffff, 0x1e0fffff, 0x1b0404cb, 0x1e03ffff, 0x03123456, 0x04123456]) {
      expect(targetToBits(bitsToTarget(bits)!)).toBe(bits)
    }
    // a mantissa with its top bit set moves into the next exponent byte
    expect(targetToBits(0x80n)).toBe(0x02008000)
    expect(bitsToTarget(targetToBits(0x80n))).toBe(0x80n)
  })

  it('compares hashes as big-endian numbers', () => {
    const target = 0xffffn << 200n
    const good = new Uint8Array(32); good[6] = 0xff
    const bad = new Uint8Array(32); bad[4] = 0x01
    expect(hashMeetsTarget(good, target)).toBe(true)
    expect(hashMeetsTarget(bad, target)).toBe(false)
  })

  it('computes chain work', () => {
    expect(workForTarget((1n << 256n) - 1n)).toBe(1n)
    expect(workForBits(0x1d00ffff)).toBe(0x100010001n)
    expect(() => workForBits(0)).toThrow(RangeError)
  })

  it('retargets proportionally and clamps at 4x', () => {
    const p = { targetBlockTime: 10, retargetInterval: 10, powLimit: 1n << 250n }
    const bits = targetToBits(1n << 200n)
    const expected = 100
    expect(bitsToTarget(retarget(bits, expected, p))).toBe(1n << 200n)
    expect(bitsToTarget(retarget(bits, expected / 2, p))).toBe(1n << 199n)
    expect(bitsToTarget(retarget(bits, expected * 2, p))).toBe(1n << 201n)
    expect(bitsToTarget(retarget(bits, 1, p))).toBe(1n << 198n) // clamped to /4
    expect(bitsToTarget(retarget(bits, 1_000_000, p))).toBe(1n << 202n) // clamped to x4
    expect(bitsToTarget(retarget(bits, -50, p))).toBe(1n << 198n)
    // never easier than the network limit
    expect(bitsToTarget(retarget(targetToBits(1n << 249n), expected * 4, p))).toBe(1n << 250n)
    expect(retarget(devnet.powLimitBits, 10_000, devnet)).toBe(devnet.powLimitBits)
  })
})
