// The plain-JS hash160 of a 33-byte key (src/core/hash160-key.ts) against
// node:crypto's SHA-256 and RIPEMD-160 (or noble's, where OpenSSL lacks it).
import { createHash } from 'node:crypto'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { hash160Key, hash160KeyInto } from '../../src/core/hash160-key.js'
import { hash160 } from '../../src/core/hash.js'
import { checkInputOwners } from '../../src/core/signatures.js'
import type { Transaction } from '../../src/core/types.js'

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

describe('checkInputOwners (each key hashed into one reused array)', () => {
  it('passes exactly when every key hashes to its spent address, for keys repeated or not and of any length', () => {
    const keys = fc.array(fc.oneof(fc.uint8Array({ minLength: 33, maxLength: 33 }), fc.uint8Array({ maxLength: 70 })), { minLength: 1, maxLength: 4 })
    // input k uses key pick[k]; address k is right unless wrong[k]
    const shape = keys.chain(ks => fc.array(fc.tuple(fc.nat(ks.length - 1), fc.boolean()), { minLength: 1, maxLength: 8 }).map(picks => ({ ks, picks })))
    fc.assert(fc.property(shape, ({ ks, picks }) => {
      const tx: Transaction = { version: 1, inputs: picks.map(([k]) => ({ prevTxid: new Uint8Array(32), prevIndex: 0, publicKey: ks[k], signature: new Uint8Array(64) })), outputs: [], lockTime: 0, coinbase: new Uint8Array(0) }
      const addresses = picks.map(([k, wrong]) => { const a = reference(ks[k]).slice(0, 20); if (wrong) a[0] ^= 1; return a })
      const ok = picks.every(([, wrong]) => !wrong)
      if (ok) expect(() => checkInputOwners(tx, addresses)).not.toThrow()
      else expect(() => checkInputOwners(tx, addresses)).toThrow(/input \d+: public key does not hash/)
    }), { numRuns: 1000 })
  })

  it('hash160KeyInto writes the same hash into the array given', () => {
    const key = new Uint8Array(33).fill(3)
    const out = new Uint8Array(20)
    expect(hash160KeyInto(key, out)).toBe(out)
    expect(Array.from(out)).toEqual(Array.from(reference(key)))
  })
})
