// Merkle trees over txids with Bitcoin's pairing rule: an odd node at any
// level is paired with itself.
import { merkleNodeHash, merkleNodeHashAt, merkleNodeHashInto } from './merkle-hash.js'

export function merkleRoot (leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw new RangeError('merkle root of no leaves')
  if (leaves.length === 1) return leaves[0]
  // every level above the leaves in one buffer, node j of a level at j * 32,
  // written over the level below it (node j reads nodes 2j and 2j + 1 first)
  let count = (leaves.length + 1) >> 1
  const nodes = new Uint8Array(count * 32)
  for (let j = 0; j < count; j++) {
    const left = leaves[2 * j]
    merkleNodeHashAt(left, 0, leaves[2 * j + 1] ?? left, 0, nodes, j * 32)
  }
  while (count > 1) {
    const next = (count + 1) >> 1
    for (let j = 0; j < next; j++) {
      const right = 2 * j + 1 < count ? 2 * j + 1 : 2 * j
      merkleNodeHashAt(nodes, 2 * j * 32, nodes, right * 32, nodes, j * 32)
    }
    count = next
  }
  return nodes.slice(0, 32)
}

/** Sibling hashes from leaf `index` up to (not including) the root. */
export function merkleBranch (leaves: Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`leaf index ${index} out of range`)
  const branch: Uint8Array[] = []
  let level = leaves
  let i = index
  while (level.length > 1) {
    const sibling = (i ^ 1) < level.length ? level[i ^ 1] : level[i]
    branch.push(sibling)
    const next: Uint8Array[] = []
    for (let j = 0; j < level.length; j += 2) next.push(merkleNodeHash(level[j], level[j + 1] ?? level[j]))
    level = next
    i >>= 1
  }
  return branch
}

/** Root implied by a leaf, its position and its branch. */
export function rootFromBranch (leaf: Uint8Array, branch: Uint8Array[], index: number): Uint8Array {
  let hash = leaf
  let i = index
  for (const sibling of branch) {
    hash = (i & 1) === 1 ? merkleNodeHash(sibling, hash) : merkleNodeHash(hash, sibling)
    i >>>= 1
  }
  return hash
}

/**
 * With the pairing rule the last node of an odd level is hashed with a copy
 * of itself, so a branch would also "prove" a phantom position one to the
 * right of it. A right child equal to its left sibling is such a phantom
 * (distinct transactions never share a txid), so each position has one proof.
 */
export function claimsPhantomPosition (leaf: Uint8Array, branch: Uint8Array[], index: number): boolean {
  return walkBranch(leaf, branch, index) === undefined
}

function equal32 (a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false
  return true
}

/** The root a branch implies, or undefined when it passes a phantom position. */
function walkBranch (leaf: Uint8Array, branch: Uint8Array[], index: number): Uint8Array | undefined {
  // one scratch buffer: each level's inputs are read before its output is written
  const hash = new Uint8Array(leaf)
  let i = index
  for (const sibling of branch) {
    if ((i & 1) === 1) {
      if (equal32(sibling, hash)) return undefined
      merkleNodeHashInto(sibling, hash, hash)
    } else {
      merkleNodeHashInto(hash, sibling, hash)
    }
    i >>>= 1
  }
  return hash
}

/**
 * An SPV proof check. The index must fit the branch depth and not be a
 * phantom position; every sibling must be a 32-byte hash.
 */
export function verifyMerkleBranch (leaf: Uint8Array, branch: Uint8Array[], index: number, root: Uint8Array): boolean {
  if (leaf.length !== 32 || root.length !== 32) return false
  if (branch.length > 32 || !Number.isInteger(index) || index < 0) return false
  if (index >= 2 ** branch.length && !(branch.length === 0 && index === 0)) return false
  for (const s of branch) if (s.length !== 32) return false
  const implied = walkBranch(leaf, branch, index)
  return implied !== undefined && equal32(implied, root)
}
