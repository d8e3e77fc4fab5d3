// Checking a Merkle proof from a full node against our own header chain.
// A proof is only as good as the header it ends in, so the Merkle root comes
// from the header WE validated, never from the peer.
import { toHex } from '../core/bytes.js'
import { ValidationError } from '../core/errors.js'
import { claimsPhantomPosition, verifyMerkleBranch } from '../core/merkle.js'
import type { NetworkParams } from '../core/params.js'
import { coinbaseHeight, isCoinbase, txid } from '../core/tx.js'
import type { Transaction } from '../core/types.js'
import { checkTransaction } from '../core/validate.js'
import type { MerkleProof } from '../p2p/spv-messages.js'
import { MAX_BRANCH_LENGTH } from '../p2p/spv-messages.js'
import type { HeaderChain, IndexEntry } from './header-chain.js'

/** A proof that checked out: the transaction is in the block `entry` of our header chain. */
export interface VerifiedProof {
  tx: Transaction
  txid: Uint8Array
  txidHex: string
  /** Our header chain's entry of the block (height, header, merkle root). */
  entry: IndexEntry
  index: number
  branch: Uint8Array[]
}

function reject (code: string, message: string): never {
  throw new ValidationError(code, message, 'reject')
}

/**
 * Verifies one proof; throws ValidationError. Severity 'reject' means the
 * peer sent something provably false; 'ignore' means we cannot judge it yet
 * (a block we have no header for, or one on a branch we do not follow).
 */
export function verifyProof (proof: MerkleProof, headers: HeaderChain, p: NetworkParams): VerifiedProof {
  const { tx, index, branch } = proof
  // [REJECT] a transaction no valid block can hold (this also refuses 64-byte
  // transactions, which could pose as an inner Merkle node)
  try {
    checkTransaction(tx, p)
  } catch (err) {
    if (err instanceof ValidationError) reject('proof-invalid-tx', `proven transaction is invalid: ${err.message}`)
    throw err
  }
  const id = txid(tx)
  const blockHex = toHex(proof.blockHash)
  const entry = headers.get(blockHex)
  // [IGNORE] a block we have no header for: the peer may be ahead of us
  if (entry === undefined) throw new ValidationError('proof-unknown-block', `block ${blockHex} is not in our header chain`, 'ignore')
  // [REJECT] the block is at another height than the proof says
  if (entry.height !== proof.height) reject('proof-wrong-height', `block ${blockHex} is at height ${entry.height}, the proof says ${proof.height}`)
  // [IGNORE] a block on a side branch: it proves nothing about the active chain
  if (!headers.isActive(entry)) throw new ValidationError('proof-not-active', `block ${blockHex} is not on our active chain`, 'ignore')
  // [REJECT] a coinbase sits first in its block and nothing else does; it commits to its height
  if (isCoinbase(tx) !== (index === 0)) reject('proof-coinbase-position', `a ${isCoinbase(tx) ? 'coinbase' : 'spending transaction'} cannot be at position ${index}`)
  if (isCoinbase(tx) && coinbaseHeight(tx) !== entry.height) reject('proof-coinbase-height', `coinbase says height ${coinbaseHeight(tx)}, block is at ${entry.height}`)
  // [REJECT] position out of the branch's range, or a phantom position
  if (branch.length > MAX_BRANCH_LENGTH || !Number.isInteger(index) || index < 0 || index >= 2 ** branch.length) {
    reject('proof-bad-index', `position ${index} does not fit a branch of ${branch.length} hashes`)
  }
  if (claimsPhantomPosition(id, branch, index)) reject('proof-bad-index', `position ${index} is a duplicated node, not a transaction`)
  // [REJECT] the branch from this txid at this position does not end in the block's merkle root
  if (!verifyMerkleBranch(id, branch, index, entry.header.merkleRoot)) {
    reject('proof-bad-branch', `transaction ${toHex(id)} at position ${index} does not hash to the merkle root of block ${blockHex}`)
  }
  return { tx, txid: id, txidHex: toHex(id), entry, index, branch }
}
