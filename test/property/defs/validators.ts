// Validators fed arbitrary structured input throw only typed errors
// (ValidationError): anything else would reach a peer as "internal error" at
// best and crash a handler at worst.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { computeMerkleRoot } from '../../../src/core/block.js'
import { checkHeaderContext, type AncestorLookup } from '../../../src/core/contextual.js'
import { regtest, type NetworkParams } from '../../../src/core/params.js'
import type { Block, BlockHeader, Transaction } from '../../../src/core/types.js'
import { checkBlock, checkHeaderPow, checkTransaction } from '../../../src/core/validate.js'
import { NobleVerifier } from '../../../src/crypto/verifier.js'
import { Mempool } from '../../../src/mempool/mempool.js'
import { HeaderChain } from '../../../src/spv/header-chain.js'
import { verifyProof } from '../../../src/spv/proof-verifier.js'
import { merkleBranch } from '../../../src/core/merkle.js'
import { txid } from '../../../src/core/tx.js'
import { spend, tempDir } from '../../../bench/support/chain-fixtures.js'
import { solve } from '../../../bench/support/core-fixtures.js'
import * as arb from '../arbitraries.js'
import { defineProperty, onlyTyped, type AnyPropertyDef } from '../harness.js'
import { BASE, KEYS, openChain } from '../world.js'

const retargeting: NetworkParams = { ...regtest, noRetarget: false, retargetInterval: 4, targetBlockTime: 10 }

/** A real spend of a mature BASE coinbase, then tweaked in one field (or not at all). */
const realSpend: fc.Arbitrary<Transaction> = fc.record({
  coin: fc.integer({ min: 0, max: 6 }),
  fee: fc.bigInt({ min: 0n, max: 10_000n }),
  to: fc.integer({ min: 0, max: 3 }),
  tweak: fc.constantFrom('none', 'amount', 'signature', 'index', 'duplicate', 'lockTime', 'pubkey', 'noOutputs', 'overflow')
}).map(({ coin, fee, to, tweak }) => {
  const c = BASE.coinbases[coin]
  const tx = spend([c], [{ address: KEYS[to].address, amount: c.amount - fee }])
  switch (tweak) {
    case 'amount': return { ...tx, outputs: [{ ...tx.outputs[0], amount: tx.outputs[0].amount + fee + 1n }] }
    case 'signature': return { ...tx, inputs: [{ ...tx.inputs[0], signature: tx.inputs[0].signature.map((b, i) => i === 5 ? b ^ 1 : b) }] }
    case 'index': return { ...tx, inputs: [{ ...tx.inputs[0], prevIndex: 7 }] }
    case 'duplicate': return { ...tx, inputs: [tx.inputs[0], tx.inputs[0]] }
    case 'lockTime': return { ...tx, lockTime: 1_000_000 }
    case 'pubkey': return { ...tx, inputs: [{ ...tx.inputs[0], publicKey: KEYS[1].pub }] }
    case 'noOutputs': return { ...tx, outputs: [] }
    case 'overflow': return { ...tx, outputs: [tx.outputs[0], { address: KEYS[1].address, amount: (1n << 64n) - 1n }] }
    default: return tx
  }
})

const anyTx = fc.oneof(arb.transaction, realSpend)

/** A block on `prev` with these transactions, Merkle root right (usually) and proof of work found. */
function blockOn (prevHash: Uint8Array, time: number, txs: Transaction[], fixRoot: boolean): Block {
  const block: Block = { header: { version: 1, prevHash, merkleRoot: new Uint8Array(32), time, bits: regtest.powLimitBits, nonce: 0 }, transactions: txs }
  if (fixRoot) {
    try {
      block.header.merkleRoot = computeMerkleRoot(block)
    } catch {}
  }
  return solve(block)
}

const tipHeader = BASE.blocks[BASE.blocks.length - 1].header
const tipHash = BASE.tip.hash

/** Blocks on the BASE tip: random transactions, a real spend, maybe a coinbase first. */
const blockOnTip: fc.Arbitrary<Block> = fc.record({
  coinbase: fc.option(arb.transaction.filter(t => t.inputs.length === 0), { nil: undefined }),
  txs: fc.array(anyTx, { maxLength: 3 }),
  time: fc.oneof(fc.constant(tipHeader.time + 1), arb.u32),
  fixRoot: fc.boolean()
}).map(({ coinbase, txs, time, fixRoot }) => blockOn(tipHash, time, coinbase === undefined ? txs : [coinbase, ...txs], fixRoot))

/** Ancestors with valid bits and arbitrary times; the header arbitrary on top. */
const contextCase = fc.record({
  times: fc.array(arb.u32, { minLength: 1, maxLength: 14 }),
  header: arb.header,
  now: arb.u32
})

export const validatorProperties: AnyPropertyDef[] = [
  defineProperty({
    name: 'checkTransaction throws only ValidationError',
    arbitraries: [anyTx],
    ciRuns: 200,
    predicate: async (tx: Transaction) => { await onlyTyped(() => checkTransaction(tx, regtest)) }
  }),
  defineProperty({
    name: 'checkHeaderPow throws only ValidationError',
    arbitraries: [arb.header],
    ciRuns: 200,
    predicate: async (h: BlockHeader) => { await onlyTyped(() => checkHeaderPow(h, regtest)) }
  }),
  defineProperty({
    name: 'checkBlock throws only ValidationError',
    arbitraries: [fc.oneof(arb.block, blockOnTip)],
    ciRuns: 100,
    predicate: async (b: Block) => { await onlyTyped(() => checkBlock(b, regtest)) }
  }),
  defineProperty({
    name: 'checkHeaderContext throws only ValidationError',
    arbitraries: [contextCase],
    ciRuns: 200,
    predicate: async ({ times, header, now }: { times: number[], header: BlockHeader, now: number }) => {
      const lookup: AncestorLookup = { ancestor: h => ({ time: times[h], bits: retargeting.powLimitBits }) }
      await onlyTyped(() => checkHeaderContext(header, times.length, lookup, retargeting, now))
    }
  }),
  defineProperty({
    name: 'chain.processBlock and processHeaders throw only ValidationError',
    arbitraries: [fc.array(fc.oneof(blockOnTip, arb.block), { minLength: 1, maxLength: 3 })],
    ciRuns: 15,
    predicate: async (blocks: Block[]) => {
      const world = await openChain()
      try {
        const heightBefore = world.chain.height
        for (const b of blocks) {
          await onlyTyped(async () => await world.chain.processHeaders([b.header]))
          await onlyTyped(async () => await world.chain.processBlock(b))
        }
        assert.ok(world.chain.height >= heightBefore)
      } finally {
        await world.close()
      }
    }
  }),
  defineProperty({
    name: 'mempool.accept throws only ValidationError',
    arbitraries: [fc.array(anyTx, { minLength: 1, maxLength: 6 })],
    ciRuns: 15,
    predicate: async (txs: Transaction[]) => {
      const world = await openChain()
      const mempool = new Mempool({ chain: world.chain, verifier: new NobleVerifier() })
      try {
        for (const tx of txs) await onlyTyped(async () => await mempool.accept(tx))
      } finally {
        await world.close()
      }
    }
  }),
  defineProperty({
    name: 'SPV header chain and proof verification throw only ValidationError',
    arbitraries: [fc.array(fc.oneof(arb.header, blockOnTip.map(b => b.header)), { maxLength: 4 }), fc.record({ height: arb.u32, index: arb.u32, block: fc.nat({ max: 9 }), branchCut: fc.nat({ max: 3 }), tx: fc.option(arb.transaction, { nil: undefined }) })],
    ciRuns: 15,
    predicate: async (headers: BlockHeader[], p: { height: number, index: number, block: number, branchCut: number, tx: Transaction | undefined }) => {
      const dir = tempDir('minicoin-prop-spv-')
      const spv = await HeaderChain.open({ location: dir.path, params: regtest })
      try {
        await spv.processHeaders(BASE.blocks.map(b => b.header))
        for (const h of headers) await onlyTyped(async () => await spv.processHeaders([h]))
        // a proof of a real transaction, its fields then partly replaced by arbitrary ones
        const block = BASE.blocks[p.block]
        const ids = block.transactions.map(txid)
        const branch = merkleBranch(ids, 0).slice(p.branchCut)
        const proof = { blockHash: spv.entryAt(p.block + 1)?.hash ?? tipHash, height: p.height % 20, index: p.index % 3, branch, tx: p.tx ?? block.transactions[0] }
        await onlyTyped(() => verifyProof(proof, spv, regtest))
      } finally {
        await spv.close()
        dir.remove()
      }
    }
  })
]
