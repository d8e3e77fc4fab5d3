// Stateless (context-free) validation of transactions, headers and blocks.
// Every failure throws a ValidationError with a stable reason code.
// Contextual rules (UTXOs, signatures against spent outputs, difficulty,
// timestamps, maturity) live in the chain engine.
import { ValidationError } from './errors.js'
import { MAX_MONEY, type NetworkParams } from './params.js'
import { bitsToTarget, hashMeetsTarget } from './pow.js'
import { blockHash, computeMerkleRoot } from './block.js'
import { isCoinbase, txBytes, txid } from './tx.js'
import { fieldBytes, headerFieldBytes } from './encoding.js'
import { equalBytes, isZero, toHex } from './bytes.js'
import type { Block, BlockHeader, Transaction } from './types.js'
import { ADDRESS_BYTES, HASH_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './types.js'

export const TX_VERSION = 1
export const BLOCK_VERSION = 1

function fail (code: string, message: string): never {
  throw new ValidationError(code, message)
}

export function checkTransaction (tx: Transaction, p: NetworkParams): void {
  // [REJECT] unknown version
  if (tx.version !== TX_VERSION) fail('tx-bad-version', `transaction version ${tx.version} is not ${TX_VERSION}`)
  const size = txBytes(tx).length
  // [REJECT] too large
  if (size > p.maxTxSize) fail('tx-oversize', `transaction is ${size} bytes, limit ${p.maxTxSize}`)
  // [REJECT] 64-byte transactions could pass as an inner Merkle node in an SPV proof
  if (size === 64) fail('tx-size-64', 'a transaction may not be exactly 64 bytes')
  // [REJECT] no outputs
  if (tx.outputs.length === 0) fail('tx-no-outputs', 'transaction has no outputs')

  if (tx.inputs.length === 0) {
    // [REJECT] coinbase shape: no inputs, height + data in the coinbase field
    if (tx.coinbase.length < 4) fail('tx-no-inputs', 'transaction has no inputs and is not a coinbase')
    if (tx.coinbase.length > p.maxCoinbaseDataSize) fail('cb-data-oversize', `coinbase data is ${tx.coinbase.length} bytes, limit ${p.maxCoinbaseDataSize}`)
  } else {
    // [REJECT] a spending transaction carries no coinbase data
    if (tx.coinbase.length !== 0) fail('tx-coinbase-data', 'only a coinbase (no inputs) may carry coinbase data')
    const seen = tx.inputs.length > 8 ? new Set<string>() : undefined
    for (let i = 0; i < tx.inputs.length; i++) {
      const input = tx.inputs[i]
      // [REJECT] malformed input fields
      if (input.prevTxid.length !== HASH_BYTES || isZero(input.prevTxid)) fail('tx-bad-prevout', 'input must reference a 32-byte non-zero txid')
      if (input.publicKey.length !== PUBLIC_KEY_BYTES || (input.publicKey[0] !== 2 && input.publicKey[0] !== 3)) fail('tx-bad-pubkey', 'input public key must be 33-byte compressed secp256k1')
      if (input.signature.length !== SIGNATURE_BYTES) fail('tx-bad-signature-length', `input signature must be ${SIGNATURE_BYTES} bytes`)
      // [REJECT] the same outpoint spent twice in one transaction (few inputs:
      // compare pairwise, no allocation; many: a set)
      if (seen === undefined) {
        for (let j = 0; j < i; j++) {
          const other = tx.inputs[j]
          if (other.prevIndex === input.prevIndex && equalBytes(other.prevTxid, input.prevTxid)) fail('tx-duplicate-input', `outpoint ${toHex(input.prevTxid)}:${input.prevIndex} is spent twice`)
        }
      } else {
        const key = toHex(input.prevTxid) + ':' + input.prevIndex
        if (seen.has(key)) fail('tx-duplicate-input', `outpoint ${key} is spent twice`)
        seen.add(key)
      }
    }
  }

  let total = 0n
  for (const output of tx.outputs) {
    // [REJECT] amounts: positive (a coinbase may pay 0 once rewards and fees are gone),
    // each and in total at most MAX_MONEY (bigint: no overflow)
    if (output.amount < 0n || (output.amount === 0n && tx.inputs.length > 0)) fail('tx-zero-output', 'output amounts must be positive')
    if (output.amount > MAX_MONEY) fail('tx-output-too-large', `output amount ${output.amount} exceeds the money supply`)
    total += output.amount
    if (total > MAX_MONEY) fail('tx-outputs-too-large', 'sum of outputs exceeds the money supply')
    // [REJECT] address is a 20-byte hash
    if (output.address.length !== ADDRESS_BYTES) fail('tx-bad-address', `output address must be ${ADDRESS_BYTES} bytes`)
  }
}

/** Proof of work of a header against its own bits, and the bits against the network limit. */
export function checkHeaderPow (header: BlockHeader, p: NetworkParams): void {
  // [REJECT] unknown version
  if (header.version !== BLOCK_VERSION) fail('header-bad-version', `block version ${header.version} is not ${BLOCK_VERSION}`)
  // [REJECT] hash fields of the wrong length
  if (header.prevHash.length !== HASH_BYTES || header.merkleRoot.length !== HASH_BYTES) fail('header-bad-hash-length', 'header hashes must be 32 bytes')
  const target = bitsToTarget(header.bits)
  // [REJECT] bits that do not encode a target, or a target easier than the network allows
  if (target === null) fail('header-bad-bits', `bits 0x${header.bits.toString(16)} do not encode a target`)
  if (target > p.powLimit) fail('header-bits-above-limit', 'target is easier than the network limit')
  // [REJECT] hash above target
  if (!hashMeetsTarget(blockHash(header), target)) fail('header-bad-pow', 'block hash does not meet its target')
}

/** Everything that can be checked about a block without the chain. */
export function checkBlock (block: Block, p: NetworkParams): void {
  checkHeaderPow(block.header, p)
  const txs = block.transactions
  // [REJECT] a block has a coinbase first and nowhere else
  if (txs.length === 0) fail('block-no-transactions', 'block has no transactions')
  if (!isCoinbase(txs[0])) fail('block-first-not-coinbase', 'first transaction is not a coinbase')
  // the size limit counts the block's canonical encoding, the very bytes
  // gossip and sync carry, so every valid block fits every wire limit
  let size = headerFieldBytes(block.header)
  // txids by their first four bytes, compared in full on a match: no string per txid
  const ids = new Map<number, Uint8Array[]>()
  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i]
    if (i > 0 && tx.inputs.length === 0) fail('block-extra-coinbase', `transaction ${i} is a second coinbase`)
    checkTransaction(tx, p)
    size += fieldBytes(txBytes(tx).length)
    // [REJECT] size limit
    if (size > p.maxBlockSize) fail('block-oversize', `block exceeds ${p.maxBlockSize} bytes`)
    // [REJECT] duplicate txid (CVE-2012-2459: such a block shares its Merkle root with a valid one)
    const id = txid(tx)
    const head = ((id[0] << 24) | (id[1] << 16) | (id[2] << 8) | id[3]) >>> 0
    const same = ids.get(head)
    if (same === undefined) ids.set(head, [id])
    else if (same.some(other => equalBytes(other, id))) fail('block-duplicate-tx', `transaction ${toHex(id)} appears twice`)
    else same.push(id)
  }
  // [REJECT] the Merkle root commits to exactly these transactions
  if (!equalBytes(computeMerkleRoot(block), block.header.merkleRoot)) fail('block-bad-merkle-root', 'merkle root does not match the transactions')
}

/**
 * A block's size, the one definition the block limit and every wire limit
 * use: the length of its canonical encoding (header field plus one
 * length-delimited field per transaction), without encoding it.
 */
export function blockSize (block: Block): number {
  let size = headerFieldBytes(block.header)
  for (const tx of block.transactions) size += fieldBytes(txBytes(tx).length)
  return size
}
