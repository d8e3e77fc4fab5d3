import { describe, expect, it } from 'vitest'
import { merkleBranch, merkleRoot, rootFromBranch, verifyMerkleBranch } from '../../src/core/merkle.js'
import { fromHex, toHex } from '../../src/core/bytes.js'
import { rand } from '../../bench/support/core-fixtures.js'
import { createHash } from 'node:crypto'
import fc from 'fast-check'

const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest())

/** The root level by level, an array per level and a Buffer per node, through node:crypto (merkleRoot before it hashed a level in one buffer). */
function referenceRoot (leaves: Uint8Array[]): Uint8Array {
  let level = leaves
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) next.push(sha(sha(new Uint8Array([...level[i], ...(level[i + 1] ?? level[i])]))))
    level = next
  }
  return level[0]
}

// Bitcoin displays hashes byte-reversed.
const display = (hex: string): Uint8Array => fromHex(hex).reverse()

describe('merkle', () => {
  it('matches Bitcoin block 100000 (known answer for the pairing rule)', () => {
    const txids = [
      '8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87',
      'fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4',
      '6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4',
      'e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d'
    ].map(display)
    expect(toHex(merkleRoot(txids).reverse())).toBe('f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766')
  })

  it('is the level-by-level root through node:crypto for any number of leaves, and leaves the leaves as they were', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer(), (n, seed) => {
      const leaves = Array.from({ length: n }, (_, i) => new Uint8Array(32).map((_, k) => (seed * 31 + i * 7 + k * 13) & 0xff))
      const copies = leaves.map(l => l.slice())
      const root = merkleRoot(leaves)
      expect(toHex(root)).toBe(toHex(referenceRoot(copies)))
      expect(root.length).toBe(32)
      expect(leaves.map(toHex)).toEqual(copies.map(toHex))
    }), { numRuns: 300 })
  })

  it('pairs an odd last node with itself', () => {
    const [a, b, c] = [rand(32), rand(32), rand(32)]
    expect(merkleRoot([a, b, c])).toEqual(merkleRoot([a, b, c, c]))
    expect(merkleRoot([a])).toEqual(a)
  })

  it('every branch of every tree up to 40 leaves verifies', () => {
    for (let n = 1; n <= 40; n++) {
      const leaves = Array.from({ length: n }, () => rand(32))
      const root = merkleRoot(leaves)
      for (let i = 0; i < n; i++) {
        const branch = merkleBranch(leaves, i)
        expect(verifyMerkleBranch(leaves[i], branch, i, root)).toBe(true)
      }
    }
  })

  it('any flipped bit in leaf, branch, index or root fails', () => {
    const leaves = Array.from({ length: 13 }, () => rand(32))
    const root = merkleRoot(leaves)
    const i = 6
    const branch = merkleBranch(leaves, i)
    for (let bit = 0; bit < 256; bit += 7) {
      const leaf = new Uint8Array(leaves[i]); leaf[bit >> 3] ^= 1 << (bit & 7)
      expect(verifyMerkleBranch(leaf, branch, i, root)).toBe(false)
      const r = new Uint8Array(root); r[bit >> 3] ^= 1 << (bit & 7)
      expect(verifyMerkleBranch(leaves[i], branch, i, r)).toBe(false)
      for (let level = 0; level < branch.length; level++) {
        const forged = branch.map(s => new Uint8Array(s)); forged[level][bit >> 3] ^= 1 << (bit & 7)
        expect(verifyMerkleBranch(leaves[i], forged, i, root)).toBe(false)
      }
    }
    for (let wrong = 0; wrong < 16; wrong++) if (wrong !== i) expect(verifyMerkleBranch(leaves[i], branch, wrong, root)).toBe(false)
  })

  it('rejects malformed proofs without throwing', () => {
    const leaves = [rand(32), rand(32)]
    const root = merkleRoot(leaves)
    const branch = merkleBranch(leaves, 0)
    expect(verifyMerkleBranch(leaves[0], [rand(31)], 0, root)).toBe(false)
    expect(verifyMerkleBranch(leaves[0], branch, -1, root)).toBe(false)
    expect(verifyMerkleBranch(leaves[0], branch, 2, root)).toBe(false)
    expect(verifyMerkleBranch(leaves[0], branch, 0.5, root)).toBe(false)
    expect(verifyMerkleBranch(rand(31), branch, 0, root)).toBe(false)
    expect(verifyMerkleBranch(leaves[0], Array.from({ length: 33 }, () => rand(32)), 0, root)).toBe(false)
    expect(rootFromBranch(leaves[0], branch, 0)).toEqual(root)
    expect(() => merkleBranch(leaves, 2)).toThrow(RangeError)
  })
})

describe('merkle node hash', () => {
  it('equals double SHA-256 of the concatenation (node:crypto) for random pairs', async () => {
    const { merkleNodeHash } = await import('../../src/core/merkle-hash.js')
    const { dsha256 } = await import('../../src/core/hash.js')
    for (let i = 0; i < 500; i++) {
      const a = rand(32)
      const b = rand(32)
      expect(toHex(merkleNodeHash(a, b))).toBe(toHex(dsha256(new Uint8Array([...a, ...b]))))
    }
  })
})

describe('phantom positions', () => {
  it('refuses a branch that claims the duplicated copy of an odd last node', () => {
    const leaves = [rand(32), rand(32), rand(32)]
    const root = merkleRoot(leaves)
    const branch = merkleBranch(leaves, 2)
    expect(verifyMerkleBranch(leaves[2], branch, 2, root)).toBe(true)
    // the same branch also hashes to the root at index 3, a position that holds no transaction
    expect(rootFromBranch(leaves[2], branch, 3)).toEqual(root)
    expect(verifyMerkleBranch(leaves[2], branch, 3, root)).toBe(false)
  })
})

describe('dsha256 (second hash in JavaScript)', () => {
  it('equals SHA-256 twice by node:crypto for inputs of every length up to 300 bytes', async () => {
    const { createHash } = await import('node:crypto')
    const { dsha256 } = await import('../../src/core/hash.js')
    for (let n = 0; n <= 300; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n * 7) & 0xff)
      const expected = createHash('sha256').update(createHash('sha256').update(data).digest()).digest()
      expect(Buffer.from(dsha256(data)).equals(expected)).toBe(true)
    }
  })
})
