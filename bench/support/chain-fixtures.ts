// Builds real, signed regtest blocks for chain, mempool and network tests.
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { computeMerkleRoot, blockHash } from '../../src/core/block.js'
import { concatBytes, u32le } from '../../src/core/bytes.js'
import { hash160 } from '../../src/core/hash.js'
import { blockReward, regtest, type NetworkParams } from '../../src/core/params.js'
import { sighash, txid } from '../../src/core/tx.js'
import type { Block, BlockHeader, Transaction } from '../../src/core/types.js'
import { generatePrivateKey, publicKeyOf, signDigest } from '../../src/crypto/keys.js'
import { solve } from './core-fixtures.js'

export interface Key { priv: Uint8Array, pub: Uint8Array, address: Uint8Array }

// Fixtures sign with libsecp256k1 when its binding loads: the same bytes as
// @noble (RFC 6979 nonces, low S), ~30x less CPU, which is what makes chains
// of millions of signed transactions buildable for the benches.
type NativeSign = (digest: Uint8Array, priv: Uint8Array) => { signature: Uint8Array }
const nativeSign: NativeSign | undefined = (() => {
  try {
    const lib = createRequire(import.meta.url)('secp256k1/bindings') as { ecdsaSign: NativeSign }
    return (digest, priv) => lib.ecdsaSign(digest, priv)
  } catch {
    return undefined
  }
})()

/** A 64-byte compact low-S signature of the digest. */
export function sign (digest: Uint8Array, priv: Uint8Array): Uint8Array {
  return nativeSign !== undefined ? Uint8Array.from(nativeSign(digest, priv).signature) : signDigest(digest, priv)
}

export function newKey (): Key {
  const priv = generatePrivateKey()
  const pub = publicKeyOf(priv)
  return { priv, pub, address: hash160(pub) }
}

export interface Spendable { txid: Uint8Array, index: number, amount: bigint, key: Key }

/** A signed transaction spending `coins` to `outputs`. */
export function spend (coins: Spendable[], outputs: Array<{ address: Uint8Array, amount: bigint }>, p: NetworkParams = regtest, lockTime = 0): Transaction {
  const unsigned: Transaction = {
    version: 1,
    inputs: coins.map(c => ({ prevTxid: c.txid, prevIndex: c.index, publicKey: c.key.pub, signature: new Uint8Array(64) })),
    outputs,
    lockTime,
    coinbase: new Uint8Array(0)
  }
  const digest = sighash(unsigned, p.id)
  return { ...unsigned, inputs: unsigned.inputs.map((input, i) => ({ ...input, signature: sign(digest, coins[i].key.priv) })) }
}

export interface Tip { hash: Uint8Array, height: number, time: number, bits?: number }

export function tipOf (block: Block, height: number): Tip {
  return { hash: blockHash(block.header), height, time: block.header.time, bits: block.header.bits }
}

export function genesisTip (p: NetworkParams = regtest): Tip {
  return tipOf(p.genesis, 0)
}

/** A block on `parent` paying the reward + `fees` to `payTo`. */
export function mineBlock (parent: Tip, txs: Transaction[], payTo: Key, opts: { p?: NetworkParams, fees?: bigint, time?: number, tag?: number, coinbaseAmount?: bigint, header?: Partial<BlockHeader> } = {}): Block {
  const p = opts.p ?? regtest
  const height = parent.height + 1
  const coinbase: Transaction = {
    version: 1,
    inputs: [],
    outputs: [{ amount: opts.coinbaseAmount ?? blockReward(height, p) + (opts.fees ?? 0n), address: payTo.address }],
    lockTime: 0,
    coinbase: concatBytes(u32le(height), u32le(opts.tag ?? 0))
  }
  const block: Block = {
    header: { version: 1, prevHash: parent.hash, merkleRoot: new Uint8Array(32), time: opts.time ?? parent.time + 1, bits: parent.bits ?? p.powLimitBits, nonce: 0, ...opts.header },
    transactions: [coinbase, ...txs]
  }
  block.header.merkleRoot = computeMerkleRoot(block)
  return solve(block)
}

/** A run of empty blocks; returns them and the coinbase outputs as spendables. */
export function mineChain (parent: Tip, count: number, payTo: Key, tag = 0, p: NetworkParams = regtest): { blocks: Block[], tip: Tip, coinbases: Spendable[] } {
  const blocks: Block[] = []
  const coinbases: Spendable[] = []
  let tip = parent
  for (let i = 0; i < count; i++) {
    const b = mineBlock(tip, [], payTo, { tag, p })
    blocks.push(b)
    tip = tipOf(b, tip.height + 1)
    const cb = b.transactions[0]
    coinbases.push({ txid: txid(cb), index: 0, amount: cb.outputs[0].amount, key: payTo })
  }
  return { blocks, tip, coinbases }
}

export function tempDir (prefix = 'minicoin-test-'): { path: string, remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

export function outputsOf (tx: Transaction, key: Key): Spendable[] {
  const id = txid(tx)
  return tx.outputs.flatMap((o, index) => o.address.every((b, i) => b === key.address[i]) ? [{ txid: id, index, amount: o.amount, key }] : [])
}
