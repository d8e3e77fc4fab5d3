import { computeMerkleRoot } from './block.js'
import { concatBytes, u32le } from './bytes.js'
import type { Block, Transaction } from './types.js'

export interface GenesisSpec { time: number, bits: number, nonce: number, message: string, hash: string }

function genesisCoinbase (spec: GenesisSpec, reward: bigint): Transaction {
  return {
    version: 1,
    inputs: [],
    // Paid to the all-zero address: the genesis output is never spendable.
    outputs: [{ amount: reward, address: new Uint8Array(20) }],
    lockTime: 0,
    coinbase: concatBytes(u32le(0), new TextEncoder().encode(spec.message))
  }
}

export function buildGenesis (spec: GenesisSpec, reward: bigint): Block {
  const coinbase = genesisCoinbase(spec, reward)
  const block: Block = {
    header: { version: 1, prevHash: new Uint8Array(32), merkleRoot: new Uint8Array(32), time: spec.time, bits: spec.bits, nonce: spec.nonce },
    transactions: [coinbase]
  }
  block.header.merkleRoot = computeMerkleRoot(block)
  return block
}

