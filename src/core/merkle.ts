// Merkle trees over txids with Bitcoin's pairing rule: an odd node at any
// level is paired with itself.
import { dsha256Pair } from './hash.js'
import { equalBytes } from './bytes.js'

export function merkleRoot (leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw new RangeError('merkle root of no leaves')
  let level = leaves
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) {
      next.push(dsha256Pair(level[i], level[i + 1] ?? level[i]))
    }
    level = next
  }
  return level[0]
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
    for (let j = 0; j < level.length; j += 2) next.push(dsha256Pair(level[j], level[j + 1] ?? level[j]))
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
    hash = (i & 1) === 1 ? dsha256Pair(sibling, hash) : dsha256Pair(hash, sibling)
    i >>>= 1
  }
  return hash
}

/**
 * An SPV proof check. The index must fit the branch depth; every sibling must
 * be a 32-byte hash.
 */
export function verifyMerkleBranch (leaf: Uint8Array, branch: Uint8Array[], index: number, root: Uint8Array): boolean {
  if (leaf.length !== 32 || root.length !== 32) return false
  if (branch.length > 32 || !Number.isInteger(index) || index < 0) return false
  if (index >= 2 ** branch.length && !(branch.length === 0 && index === 0)) return false
  for (const s of branch) if (s.length !== 32) return false
  return equalBytes(rootFromBranch(leaf, branch, index), root)
}
