// Merkle trees over txids (hex in byte order, as the API shows them) with
// Bitcoin's pairing rule: an odd node at any level is paired with itself.
// SHA-256 is @noble/hashes' (plain JS, so it works without crypto.subtle,
// which is absent outside secure contexts), served by the node under /vendor/.
import { sha256 } from '/vendor/@noble/hashes/sha2.js'
import { bytesToHex as toHex, hexToBytes as fromHex } from '/vendor/@noble/hashes/utils.js'

/** Double SHA-256 of two 32-byte nodes given in hex. */
export function hashPair (leftHex, rightHex) {
  const a = fromHex(leftHex)
  const b = fromHex(rightHex)
  const joined = new Uint8Array(a.length + b.length)
  joined.set(a)
  joined.set(b, a.length)
  return toHex(sha256(sha256(joined)))
}

/**
 * The path a branch climbs: one step per level, leaf first. Each step holds
 * the node on the path, its sibling and which side the sibling is on.
 * `root` is what the branch hashes to.
 */
export function branchPath (leafHex, branch, index) {
  const steps = []
  let hash = leafHex.toLowerCase()
  let i = index
  for (const sibling of branch) {
    const siblingLeft = (i & 1) === 1
    const parent = siblingLeft ? hashPair(sibling, hash) : hashPair(hash, sibling)
    steps.push({ node: hash, sibling: sibling.toLowerCase(), siblingLeft, parent })
    hash = parent
    i >>>= 1
  }
  return { steps, root: hash }
}

/** Every level of the tree over `txids`, leaves first, root last. */
export function merkleLevels (txids) {
  if (txids.length === 0) return []
  const levels = [txids.map(t => t.toLowerCase())]
  while (levels[levels.length - 1].length > 1) {
    const level = levels[levels.length - 1]
    const next = []
    for (let j = 0; j < level.length; j += 2) next.push(hashPair(level[j], level[j + 1] ?? level[j]))
    levels.push(next)
  }
  return levels
}
