// Builders of valid consensus objects for tests.
import { randomBytes } from 'node:crypto'
import { computeMerkleRoot } from '../../src/core/block.js'
import { concatBytes, u32le } from '../../src/core/bytes.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { bitsToTarget, hashMeetsTarget } from '../../src/core/pow.js'
import { blockHash } from '../../src/core/block.js'
import type { NetworkParams } from '../../src/core/params.js'

export function rand (n: number): Uint8Array {
  return new Uint8Array(randomBytes(n))
}

/** A structurally valid (unsigned-content) spending transaction with random fields. */
export function spendTx (inputs = 2, outputs = 2): Transaction {
  return {
    version: 1,
    inputs: Array.from({ length: inputs }, (_, i) => ({
      prevTxid: rand(32),
      prevIndex: i,
      publicKey: concatBytes(new Uint8Array([2]), rand(32)),
      signature: rand(64)
    })),
    outputs: Array.from({ length: outputs }, (_, i) => ({ amount: BigInt(1000 + i), address: rand(20) })),
    lockTime: 0,
    coinbase: new Uint8Array(0)
  }
}

export function coinbaseTx (height: number, amount = 50n * 100_000_000n): Transaction {
  return {
    version: 1,
    inputs: [],
    outputs: [{ amount, address: rand(20) }],
    lockTime: 0,
    coinbase: concatBytes(u32le(height), rand(8))
  }
}

/** Finds a nonce for the header (only sensible at easy targets such as regtest's). */
export function solve (block: Block): Block {
  const target = bitsToTarget(block.header.bits)!
  for (let nonce = 0; ; nonce++) {
    const header = { ...block.header, nonce }
    if (hashMeetsTarget(blockHash(header), target)) return { ...block, header }
  }
}

export function makeBlock (p: NetworkParams, txs: Transaction[], prevHash = new Uint8Array(32), time = p.genesis.header.time + 60): Block {
  const block: Block = {
    header: { version: 1, prevHash, merkleRoot: new Uint8Array(32), time, bits: p.powLimitBits, nonce: 0 },
    transactions: txs
  }
  block.header.merkleRoot = computeMerkleRoot(block)
  return solve(block)
}
