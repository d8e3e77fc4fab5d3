// Random block trees fed to the chain (blocks in order, headers first then
// blocks in any order, invalid blocks, restarts): the UTXO set always equals
// one recomputed from the active chain's blocks, and the active chain is the
// longest valid branch (regtest: every block has the same work).
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { blockHash } from '../../../src/core/block.js'
import { toHex } from '../../../src/core/bytes.js'
import { ValidationError } from '../../../src/core/errors.js'
import { regtest } from '../../../src/core/params.js'
import { txid } from '../../../src/core/tx.js'
import type { Block, BlockHeader, Transaction } from '../../../src/core/types.js'
import type { Chain } from '../../../src/chain/chain.js'
import { mineBlock, spend, type Spendable } from '../../../bench/support/chain-fixtures.js'
import { defineProperty, plain, type AnyPropertyDef } from '../harness.js'
import { BASE, KEYS, openChain, type OpenChain } from '../world.js'

export type ReorgOp =
  | { kind: 'extend', parent: number, count: number, txs: number, bad: boolean, headersFirst: boolean, reverse: boolean }
  | { kind: 'restart' }
  /** Issue 10.2's sequence: a header batch whose last header fails, then the blocks of its valid prefix, then a restart. */
  | { kind: 'brokenBatch', parent: number, count: number, skipFirst: boolean }

const extend = fc.record({
  kind: fc.constant('extend' as const),
  parent: fc.nat(),
  count: fc.integer({ min: 1, max: 4 }),
  txs: fc.nat({ max: 3 }),
  bad: fc.constant(false),
  headersFirst: fc.boolean(),
  reverse: fc.boolean()
})

export const reorgOp: fc.Arbitrary<ReorgOp> = fc.oneof(
  { weight: 8, arbitrary: extend.map(o => ({ ...o, bad: false })) },
  { weight: 2, arbitrary: extend.map(o => ({ ...o, bad: true })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) }
)

export const reorgOpWithBrokenBatch: fc.Arbitrary<ReorgOp> = fc.oneof(
  { weight: 6, arbitrary: reorgOp },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('brokenBatch' as const), parent: fc.nat(), count: fc.integer({ min: 1, max: 3 }), skipFirst: fc.boolean() }) }
)

interface Node { block: Block, hashHex: string, height: number, parent: Node | undefined, bad: boolean }

interface ModelCoin { amount: bigint, address: string, height: number, coinbase: boolean }

/** The UTXO set of a list of blocks from height 1 (the genesis output is never a coin). */
export function utxoOf (blocks: Array<{ block: Block, height: number }>): Map<string, ModelCoin> {
  const utxo = new Map<string, ModelCoin>()
  for (const { block, height } of blocks) {
    block.transactions.forEach((tx, i) => {
      for (const input of tx.inputs) utxo.delete(toHex(input.prevTxid) + ':' + input.prevIndex)
      const id = toHex(txid(tx))
      tx.outputs.forEach((o, index) => utxo.set(id + ':' + index, { amount: o.amount, address: toHex(o.address), height, coinbase: i === 0 }))
    })
  }
  return utxo
}

/** The chain's UTXO set as stored, in the model's shape. */
export async function utxoOfChain (chain: Chain): Promise<Map<string, ModelCoin>> {
  const out = new Map<string, ModelCoin>()
  for await (const { txid: id, index, coin } of chain.coins()) out.set(toHex(id) + ':' + index, { amount: coin.amount, address: toHex(coin.address), height: coin.height, coinbase: coin.coinbase })
  return out
}

/** The active chain's blocks read back from the chain itself, heights 1..tip. */
export function activeBlocks (chain: Chain): Array<{ block: Block, height: number }> {
  const out = []
  for (let h = 1; h <= chain.height; h++) {
    const e = chain.entryAt(h)
    assert.ok(e !== undefined, `no active entry at height ${h} of ${chain.height}`)
    const block = chain.getBlock(e.hash)
    assert.ok(block !== undefined, `active block at height ${h} has no data`)
    out.push({ block, height: h })
  }
  return out
}

function sorted (m: Map<string, ModelCoin>): unknown {
  return plain([...m.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
}

class TreeWorld {
  readonly nodes: Node[] = []
  tag = 1

  constructor (readonly handle: OpenChain) {
    let parent: Node | undefined
    BASE.blocks.forEach((block, i) => {
      parent = { block, hashHex: toHex(blockHash(block.header)), height: i + 1, parent, bad: false }
      this.nodes.push(parent)
    })
  }

  get chain (): Chain { return this.handle.chain }

  private branch (node: Node): Node[] {
    const out: Node[] = []
    for (let n: Node | undefined = node; n !== undefined; n = n.parent) out.push(n)
    return out.reverse()
  }

  private isValid (node: Node): boolean {
    return this.branch(node).every(n => !n.bad)
  }

  /** Valid nodes near the top (forks deeper than a few blocks are not interesting here), highest first. */
  private parents (): Node[] {
    const top = Math.max(...this.nodes.map(n => n.height))
    return this.nodes.filter(n => n.height >= Math.max(BASE.blocks.length - 2, top - 6) && this.isValid(n)).sort((a, b) => b.height - a.height)
  }

  /** Builds `count` blocks on `parent`, spending mature coins of that branch; the last one invalid when `bad`. */
  private build (parent: Node, count: number, txs: number, bad: boolean): Node[] {
    const built: Node[] = []
    let tip = parent
    for (let i = 0; i < count; i++) {
      const height = tip.height + 1
      const utxo = utxoOf(this.branch(tip).map(n => ({ block: n.block, height: n.height })))
      const spendable: Spendable[] = []
      for (const [k, c] of utxo) {
        const key = KEYS.find(kk => toHex(kk.address) === c.address)
        if (key === undefined || (c.coinbase && height - c.height < regtest.coinbaseMaturity)) continue
        const [id, index] = k.split(':')
        spendable.push({ txid: Uint8Array.from(Buffer.from(id, 'hex')), index: Number(index), amount: c.amount, key })
      }
      spendable.sort((a, b) => toHex(a.txid) < toHex(b.txid) ? -1 : 1)
      const body: Transaction[] = []
      for (let t = 0; t < txs && spendable.length > 0; t++) {
        const coin = spendable.splice((this.tag * 7 + t) % spendable.length, 1)[0]
        const to = KEYS[(this.tag + t) % KEYS.length]
        const tx = spend([coin], [{ address: to.address, amount: coin.amount / 2n }, { address: coin.key.address, amount: coin.amount - coin.amount / 2n - 100n }])
        body.push(tx)
        // and sometimes a child in the same block
        if (t % 2 === 1) body.push(spend([{ txid: txid(tx), index: 0, amount: coin.amount / 2n, key: to }], [{ address: KEYS[0].address, amount: coin.amount / 2n - 50n }]))
      }
      const last = i === count - 1
      if (bad && last) {
        // spends a coin that does not exist on this branch
        body.push(spend([{ txid: new Uint8Array(32).fill(7), index: 0, amount: 1000n, key: KEYS[0] }], [{ address: KEYS[1].address, amount: 900n }]))
      }
      const block = mineBlock({ hash: Uint8Array.from(Buffer.from(tip.hashHex, 'hex')), height: tip.height, time: tip.block.header.time }, body, KEYS[this.tag % 2], { tag: this.tag++ })
      const node: Node = { block, hashHex: toHex(blockHash(block.header)), height, parent: tip, bad: bad && last }
      built.push(node)
      tip = node
    }
    return built
  }

  private async submit (fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn()
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
    }
  }

  async apply (op: ReorgOp): Promise<void> {
    switch (op.kind) {
      case 'restart':
        await this.handle.reopen()
        return
      case 'extend': {
        const parents = this.parents()
        const built = this.build(parents[op.parent % parents.length], op.count, op.txs, op.bad)
        this.nodes.push(...built)
        if (op.headersFirst) await this.submit(async () => await this.chain.processHeaders(built.map(n => n.block.header)))
        const order = op.reverse ? [...built].reverse() : built
        for (const n of order) await this.submit(async () => await this.chain.processBlock(n.block))
        return
      }
      case 'brokenBatch': {
        const parents = this.parents()
        const built = this.build(parents[op.parent % parents.length], op.count, 0, false)
        this.nodes.push(...built)
        // the batch ends with a header whose proof of work fails: the valid prefix must still be stored properly
        const last = built[built.length - 1].block.header
        const broken: BlockHeader = { ...last, prevHash: blockHash(last), nonce: 0, bits: 0x03000001 }
        await this.submit(async () => await this.chain.processHeaders([...built.map(n => n.block.header), broken]))
        // blocks arrive from several peers: sometimes the first has not come yet at the restart
        for (const n of op.skipFirst ? built.slice(1) : built) await this.submit(async () => await this.chain.processBlock(n.block))
        await this.handle.reopen()
        if (op.skipFirst) await this.submit(async () => await this.chain.processBlock(built[0].block))
      }
    }
  }

  async check (): Promise<void> {
    const best = Math.max(...this.nodes.filter(n => this.isValid(n)).map(n => n.height))
    assert.equal(this.chain.height, best, 'the active chain is the longest valid branch')
    const active = activeBlocks(this.chain)
    for (const { block, height } of active) {
      const node = this.nodes.find(n => n.hashHex === toHex(blockHash(block.header)))
      assert.ok(node === undefined || node.height === height, 'heights agree')
      assert.ok(node === undefined || this.isValid(node), `invalid block ${node?.hashHex} is active`)
    }
    assert.deepEqual(sorted(await utxoOfChain(this.chain)), sorted(utxoOf(active)), 'UTXO set equals the one recomputed from the active chain')
  }
}

async function runTree (ops: ReorgOp[]): Promise<void> {
  const handle = await openChain()
  try {
    const world = new TreeWorld(handle)
    await world.check()
    for (const op of ops) {
      await world.apply(op)
      await world.check()
    }
  } finally {
    await handle.close()
  }
}

export const reorgProperties: AnyPropertyDef[] = [
  defineProperty({
    name: 'random block trees and restarts keep the UTXO set equal to the active chain\'s',
    arbitraries: [fc.array(reorgOp, { minLength: 3, maxLength: 12 })],
    ciRuns: 8,
    predicate: runTree
  }),
  defineProperty({
    name: 'header batches that fail part-way, then their blocks and a restart, keep the chain consistent',
    arbitraries: [fc.array(reorgOpWithBrokenBatch, { minLength: 2, maxLength: 8 }).filter(ops => ops.some(o => o.kind === 'brokenBatch'))],
    ciRuns: 8,
    predicate: runTree
    // Found issue 10.2 before its fix (seed -1790240318, path "0:0:2:0:0"):
    // [{ kind: 'brokenBatch', count: 2, skipFirst: true }] failed at the restart
    // with "TypeError: Cannot read properties of undefined (reading 'height')".
  })
]
