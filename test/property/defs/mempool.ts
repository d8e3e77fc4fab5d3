// Random sequences of mempool operations keep the pool consistent with the
// chain: accepts (chains of unconfirmed transactions, double spends), blocks
// connected (with and without the pool's transactions, with conflicts),
// reorganisations, eviction (a small pool) and expiry (a clock we move).
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { blockHash } from '../../../src/core/block.js'
import { toHex } from '../../../src/core/bytes.js'
import { ValidationError } from '../../../src/core/errors.js'
import { regtest } from '../../../src/core/params.js'
import { txid } from '../../../src/core/tx.js'
import type { Transaction } from '../../../src/core/types.js'
import type { Chain } from '../../../src/chain/chain.js'
import { NobleVerifier } from '../../../src/crypto/verifier.js'
import { Mempool, type MempoolEntry } from '../../../src/mempool/mempool.js'
import { mineBlock, spend, type Spendable, type Tip } from '../../../bench/support/chain-fixtures.js'
import { defineProperty, type AnyPropertyDef } from '../harness.js'
import { BASE, KEYS, openChain, settle, spendablesOf } from '../world.js'

export type MempoolOp =
  | { kind: 'spend', pick: number, outputs: number, fee: number, fromPool: boolean, to: number }
  | { kind: 'doubleSpend', pick: number, fee: number }
  | { kind: 'mine', take: number, conflict: boolean }
  | { kind: 'reorg', depth: number }
  | { kind: 'expire', advanceMs: number }

export const mempoolOp: fc.Arbitrary<MempoolOp> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('spend' as const), pick: fc.nat(), outputs: fc.integer({ min: 1, max: 3 }), fee: fc.integer({ min: 0, max: 3000 }), fromPool: fc.boolean(), to: fc.nat({ max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('doubleSpend' as const), pick: fc.nat(), fee: fc.integer({ min: 0, max: 20_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('mine' as const), take: fc.nat({ max: 8 }), conflict: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reorg' as const), depth: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), advanceMs: fc.integer({ min: 0, max: 40_000 }) }) }
)

const MAX_BYTES = 1_200 // ~6 small transactions: eviction happens often
const EXPIRY_MS = 60_000

class MempoolWorld {
  /** Every outpoint we ever created for one of KEYS (filtered for availability when picked). */
  readonly known: Spendable[] = [...BASE.coinbases]
  clock = 1_000_000
  tag = 1

  constructor (readonly chain: Chain, readonly mempool: Mempool) {}

  private mature (s: Spendable): boolean {
    const coin = this.chain.getCoin(s.txid, s.index)
    if (coin === undefined) return false
    return !coin.coinbase || this.chain.height + 1 - coin.height >= regtest.coinbaseMaturity
  }

  /** Unspent outputs we can sign for: confirmed (and mature) or pending. */
  available (fromPool: boolean): Spendable[] {
    return this.known.filter(s => {
      if (this.mempool.spender(s.txid, s.index) !== undefined) return false
      const inPool = this.mempool.has(toHex(s.txid))
      return fromPool ? inPool : !inPool && this.mature(s)
    })
  }

  async offer (tx: Transaction): Promise<void> {
    this.known.push(...spendablesOf(tx))
    try {
      await this.mempool.accept(tx)
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
    }
  }

  tipOf (height: number): Tip {
    const e = this.chain.entryAt(height)!
    return { hash: e.hash, height, time: e.header.time }
  }

  /** A confirmed coin spent by a pending transaction (for conflicts), with its owner. */
  confirmedSpentByPool (pick: number): Spendable | undefined {
    const candidates = this.known.filter(s => this.mempool.spender(s.txid, s.index) !== undefined && this.chain.getCoin(s.txid, s.index) !== undefined)
    return candidates.length === 0 ? undefined : candidates[pick % candidates.length]
  }

  async apply (op: MempoolOp): Promise<void> {
    switch (op.kind) {
      case 'spend': {
        let coins = this.available(op.fromPool)
        if (coins.length === 0) coins = this.available(!op.fromPool)
        if (coins.length === 0) return
        const coin = coins[op.pick % coins.length]
        const fee = BigInt(op.fee)
        if (coin.amount <= fee + BigInt(op.outputs)) return
        const each = (coin.amount - fee) / BigInt(op.outputs)
        const outputs = Array.from({ length: op.outputs }, (_, i) => ({ address: KEYS[(op.to + i) % KEYS.length].address, amount: each }))
        await this.offer(spend([coin], outputs))
        return
      }
      case 'doubleSpend': {
        const entries = [...this.mempool.entries.values()]
        if (entries.length === 0) return
        const victim = entries[op.pick % entries.length]
        const input = victim.tx.inputs[0]
        const coin = this.known.find(s => toHex(s.txid) === toHex(input.prevTxid) && s.index === input.prevIndex)
        if (coin === undefined || coin.amount <= BigInt(op.fee)) return
        await this.offer(spend([coin], [{ address: KEYS[(op.pick + 1) % KEYS.length].address, amount: coin.amount - BigInt(op.fee) }]))
        return
      }
      case 'mine': {
        const picked = this.mempool.selectForBlock(regtest.maxBlockSize / 2).slice(0, op.take).map(e => e.tx)
        const txs = [...picked]
        if (op.conflict) {
          // a transaction the pool never saw, spending a confirmed coin a pending one spends
          const coin = this.confirmedSpentByPool(op.take)
          const spender = coin === undefined ? undefined : this.mempool.spender(coin.txid, coin.index)
          if (coin !== undefined && spender !== undefined && !picked.includes(spender.tx)) {
            const rival = spend([coin], [{ address: KEYS[3].address, amount: coin.amount - 1n }])
            this.known.push(...spendablesOf(rival))
            txs.push(rival)
          }
        }
        const block = mineBlock(this.tipOf(this.chain.height), txs, KEYS[0], { tag: this.tag++ })
        this.known.push(...spendablesOf(block.transactions[0]))
        const r = await this.chain.processBlock(block)
        assert.equal(r.status, 'connected')
        return
      }
      case 'reorg': {
        // an empty branch one block longer than the last `depth` blocks: their
        // transactions go back to the pool, coinbase spends may turn immature
        const forkHeight = this.chain.height - op.depth
        if (forkHeight < BASE.blocks.length - 2) return
        let tip = this.tipOf(forkHeight)
        const blocks = []
        for (let i = 0; i <= op.depth; i++) {
          const b = mineBlock(tip, [], KEYS[1], { tag: this.tag++ })
          blocks.push(b)
          tip = { hash: blockHash(b.header), height: tip.height + 1, time: b.header.time }
        }
        for (const b of blocks) {
          this.known.push(...spendablesOf(b.transactions[0]))
          await this.chain.processBlock(b)
        }
        assert.equal(this.chain.height, forkHeight + op.depth + 1, 'the longer branch becomes active')
        return
      }
      case 'expire': {
        this.clock += op.advanceMs
        this.mempool.expire()
      }
    }
  }

  /** Everything the pool promises, checked from scratch against the chain. */
  check (): void {
    const entries = [...this.mempool.entries.values()]
    const byId = new Map(entries.map(e => [e.txidHex, e]))
    const spent = new Map<string, MempoolEntry>()
    let bytes = 0
    for (const e of entries) {
      assert.equal(e.txidHex, toHex(txid(e.tx)))
      assert.equal(this.chain.getTxLocation(e.txid), undefined, `pending ${e.txidHex} is already confirmed`)
      bytes += e.size
      let totalIn = 0n
      const parents = new Set<MempoolEntry>()
      for (const input of e.tx.inputs) {
        const key = toHex(input.prevTxid) + ':' + input.prevIndex
        assert.equal(spent.get(key), undefined, `outpoint ${key} spent by two pending transactions`)
        spent.set(key, e)
        const parent = byId.get(toHex(input.prevTxid))
        if (parent !== undefined) {
          const out = parent.tx.outputs[input.prevIndex]
          assert.ok(out !== undefined, `${e.txidHex} spends a missing output of pending ${parent.txidHex}`)
          totalIn += out.amount
          parents.add(parent)
        } else {
          const coin = this.chain.getCoin(input.prevTxid, input.prevIndex)
          assert.ok(coin !== undefined, `${e.txidHex} spends ${key}, neither in the UTXO set nor pending`)
          if (coin.coinbase) assert.ok(this.chain.height + 1 - coin.height >= regtest.coinbaseMaturity, `${e.txidHex} spends an immature coinbase`)
          totalIn += coin.amount
        }
      }
      const totalOut = e.tx.outputs.reduce((s, o) => s + o.amount, 0n)
      assert.equal(e.fee, totalIn - totalOut, `fee of ${e.txidHex}`)
      assert.deepEqual([...e.parents].map(p => p.txidHex).sort(), [...parents].map(p => p.txidHex).sort(), `parents of ${e.txidHex}`)
      for (const p of parents) assert.ok(p.children.has(e), `${p.txidHex} does not list child ${e.txidHex}`)
      for (const c of e.children) assert.ok(byId.get(c.txidHex) === c && c.parents.has(e), `stale child of ${e.txidHex}`)
      assert.equal(this.mempool.spender(e.tx.inputs[0].prevTxid, e.tx.inputs[0].prevIndex), e)
    }
    assert.equal(this.mempool.bytes, bytes, 'bytes in use')
    assert.ok(bytes <= MAX_BYTES, `pool holds ${bytes} bytes over its ${MAX_BYTES} cap`)
    // a template of everything: parents before children, fees add up
    const selected = this.mempool.selectForBlock(regtest.maxBlockSize)
    assert.equal(selected.length, entries.length, 'a block with room for all takes all')
    const seen = new Set<string>()
    for (const s of selected) {
      for (const p of s.parents) assert.ok(seen.has(p.txidHex), `${s.txidHex} selected before its parent ${p.txidHex}`)
      seen.add(s.txidHex)
    }
    assert.equal(selected.reduce((f, s) => f + s.fee, 0n), entries.reduce((f, s) => f + s.fee, 0n), 'template fees')
  }
}

export const mempoolProperties: AnyPropertyDef[] = [
  defineProperty({
    name: 'random mempool operations keep the pool consistent with the chain',
    arbitraries: [fc.array(mempoolOp, { minLength: 5, maxLength: 30 })],
    ciRuns: 20,
    predicate: async (ops: MempoolOp[]) => {
      const world = await openChain()
      try {
        let w: MempoolWorld | undefined
        let statsOut = (): void => {}
        const mempool = new Mempool({ chain: world.chain, verifier: new NobleVerifier(), maxBytes: MAX_BYTES, expiryMs: EXPIRY_MS, now: () => w?.clock ?? 0 })
        w = new MempoolWorld(world.chain, mempool)
        // MINICOIN_PROPERTY_STATS=1 prints what each run exercised (coverage of the op mix)
        if (process.env.MINICOIN_PROPERTY_STATS !== undefined) {
          const stats: Record<string, number> = {}
          mempool.on('added', () => { stats.added = (stats.added ?? 0) + 1 })
          mempool.on('removed', (_e, reason) => { stats[reason] = (stats[reason] ?? 0) + 1 })
          mempool.on('processed', (r) => { stats['p-' + r] = (stats['p-' + r] ?? 0) + 1 })
          world.chain.on('reorg', () => { stats.reorg = (stats.reorg ?? 0) + 1 })
          statsOut = () => console.log(JSON.stringify({ ...stats, size: mempool.size, ops: ops.length }))
        }
        for (const op of ops) {
          await w.apply(op)
          await settle()
          w.check()
        }
        statsOut()
      } finally {
        await world.close()
      }
    }
  })
]
