// The plain-JS hash160 of a 33-byte key (src/core/hash160-key.ts) against
// node:crypto's SHA-256 and RIPEMD-160 (or noble's, where OpenSSL lacks it).
import { createHash } from 'node:crypto'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { hash160Key } from '../../src/core/hash160-key.js'
import { hash160 } from '../../src/core/hash.js'

function reference (key: Uint8Array): Uint8Array {
  return ripemd160(createHash('sha256').update(key).digest())
}

describe('hash160Key', () => {
  it('is RIPEMD-160(SHA-256(key)) for random 33-byte keys and the edge bytes', () => {
    for (const fill of [0x00, 0xff, 0x02, 0x80]) {
      const key = new Uint8Array(33).fill(fill)
      expect(Array.from(hash160Key(key))).toEqual(Array.from(reference(key)))
    }
    fc.assert(fc.property(fc.uint8Array({ minLength: 33, maxLength: 33 }), key => {
      expect(Array.from(hash160Key(key))).toEqual(Array.from(reference(key)))
    }), { numRuns: 2000 })
  })

  it('gives a fresh array each time, and hash160 agrees for 33 bytes and other lengths', () => {
    const a = new Uint8Array(33).fill(7)
    const first = hash160Key(a)
    const second = hash160Key(new Uint8Array(33).fill(8))
    expect(Array.from(first)).toEqual(Array.from(reference(a)))
    expect(first).not.toBe(second)
    for (const len of [0, 20, 33, 65]) {
      const data = new Uint8Array(len).fill(len)
      expect(Array.from(hash160(data))).toEqual(Array.from(reference(data)))
    }
    expect(() => hash160Key(new Uint8Array(32))).toThrow(RangeError)
  })
})
