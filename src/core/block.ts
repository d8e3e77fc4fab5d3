import { serializeHeader } from './encoding.js'
import { dsha256 } from './hash.js'
import { toHex } from './bytes.js'
import { merkleRoot } from './merkle.js'
import { txid } from './tx.js'
import type { Block, BlockHeader } from './types.js'

const hashCache = new WeakMap<BlockHeader, Uint8Array>()

/** Double SHA-256 of the 80-byte header. Headers are immutable once hashed. */
export function blockHash (header: BlockHeader): Uint8Array {
  let h = hashCache.get(header)
  if (h === undefined) {
    h = dsha256(serializeHeader(header))
    hashCache.set(header, h)
  }
  return h
}

export function blockHashHex (header: BlockHeader): string {
  return toHex(blockHash(header))
}

export function computeMerkleRoot (block: Block): Uint8Array {
  return merkleRoot(block.transactions.map(txid))
}
