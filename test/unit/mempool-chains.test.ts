// Chains of unconfirmed transactions (issue 10.1) and reorganisations that
// re-check only what they touch (issue 10.3): limits, iterative walks, event
// listeners that throw, and a miner that outlives a failing template.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Chain } from '../../src/chain/chain.js'
import { Mempool, type MempoolEntry } from '../../src/mempool/mempool.js'
import { selectPackages } from '../../src/mempool/package-selection.js'
import { Miner } from '../../src/miner/miner.js'
import { NobleVerifier, type SignatureVerifier } from '../../src/crypto/verifier.js'
import { regtest } from '../../src/core/params.js'
import { toHex } from '../../src/core/bytes.js'
import { txid, txSize } from '../../src/core/tx.js'
import { ValidationError } from '../../src/core/errors.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { genesisTip, mineBlock, mineChain, newKey, outputsOf, spend, tempDir, tipOf, type Key, type Spendable, type Tip } from '../../bench/support/chain-fixtures.js'

/** Counts the signatures the mempool asks to verify. */
class CountingVerifier implements SignatureVerifier {
  checked = 0
  readonly backend: SignatureVerifier['backend']
  constructor (private readonly inner: SignatureVerifier) { this.backend = inner.backend }
  async verifyBatch (checks: Parameters<SignatureVerifier['verifyBatch']>[0]): Promise<boolean[]> {
    this.checked += checks.length
    return await this.inner.verifyBatch(checks)
  }

  async close (): Promise<void> { await this.inner.close() }
}

/** `length` transactions, each spending the one before, starting from `coin`. */
function chainOf (coin: Spendable, length: number, fee = 300n): Transaction[] {
  const txs: Transaction[] = []
  let prev = coin
  for (let i = 0; i < length; i++) {
    const tx = spend([prev], [{ address: prev.key.address, amount: prev.amount - fee }])
    txs.push(tx)
    prev = { txid: txid(tx), index: 0, amount: prev.amount - fee, key: prev.key }
  }
  return txs
}

async function outcome (pool: Mempool, tx: Transaction): Promise<string> {
  try {
    await pool.accept(tx)
    return 'accepted'
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    return err.code
  }
}

const execFileAsync = promisify(execFile)

const ids = (txs: Transaction[]): string[] => txs.map(tx => toHex(txid(tx)))

let dir: ReturnType<typeof tempDir>
let chain: Chain
let miner: Key
let coins: Spendable[]
let tip: Tip
let funding: Block[]

async function openChain (): Promise<void> {
  dir = tempDir()
  chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
  for (const b of funding) await chain.processBlock(b)
}

beforeAll(() => {
  miner = newKey()
  const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 6, miner)
  funding = mined.blocks
  coins = mined.coinbases.slice(0, 7)
  tip = mined.tip
})

afterEach(async () => {
  await chain?.close()
  dir?.remove()
})

describe('package limits', () => {
  beforeEach(openChain)

  it('offered a 10,000-deep chain, keeps 25 and refuses the 26th as too-long-mempool-chain before checking its signatures', async () => {
    const verifier = new CountingVerifier(new NobleVerifier())
    const pool = new Mempool({ chain, verifier })
    const txs = chainOf(coins[0], 10_000)
    const results: string[] = []
    for (const tx of txs) results.push(await outcome(pool, tx))
    expect(results.slice(0, 25).every(r => r === 'accepted')).toBe(true)
    expect(results[25]).toBe('too-long-mempool-chain')
    // the rest spend a transaction the pool does not have
    expect(new Set(results.slice(26))).toEqual(new Set(['tx-missing-inputs']))
    expect(pool.size).toBe(25)
    expect(verifier.checked).toBe(25)
    expect(pool.checkConsistency()).toEqual([])
    try { await pool.accept(txs[25]) } catch (err) { expect((err as ValidationError).severity).toBe('ignore') }
    // a template takes the whole package, parents first
    expect(pool.selectForBlock(1_000_000).map(e => e.txidHex)).toEqual(ids(txs.slice(0, 25)))
    // a block double-spending the first transaction takes the whole chain out of the pool
    const doubleSpend = spend([coins[0]], [{ address: newKey().address, amount: coins[0].amount - 1000n }])
    const removed: string[] = []
    pool.on('removed', (_e, reason) => removed.push(reason))
    await chain.processBlock(mineBlock(tip, [doubleSpend], miner, { fees: 1000n }))
    expect(pool.size).toBe(0)
    expect(removed).toEqual(Array(25).fill('conflict'))
    expect(pool.checkConsistency()).toEqual([])
  })

  it('bounds descendants and package bytes too, by options', async () => {
    const pool = new Mempool({ chain, verifier: new NobleVerifier() })
    // a parent with 30 outputs: 24 children make 25 descendants with it
    const parent = spend([coins[1]], Array.from({ length: 30 }, () => ({ address: miner.address, amount: (coins[1].amount - 10_000n) / 30n })))
    expect(await outcome(pool, parent)).toBe('accepted')
    const children = outputsOf(parent, miner).map(o => spend([o], [{ address: miner.address, amount: o.amount - 300n }]))
    const results: string[] = []
    for (const c of children) results.push(await outcome(pool, c))
    expect(results).toEqual([...Array(24).fill('accepted'), ...Array(6).fill('too-long-mempool-chain')])
    expect(pool.get(toHex(txid(parent)))?.descCount).toBe(25)

    const three = chainOf(coins[2], 3)
    const size = txSize(three[0])
    const small = new Mempool({ chain, verifier: new NobleVerifier(), limits: { ancestorBytes: 2 * size + 10 } })
    const smallResults: string[] = []
    for (const tx of three) smallResults.push(await outcome(small, tx))
    expect(smallResults).toEqual(['accepted', 'accepted', 'too-long-mempool-chain'])
    expect(pool.checkConsistency()).toEqual([])
  })
})

describe('checks that hold while signatures are verified', () => {
  beforeEach(openChain)

  it('children submitted all at once still stop at the descendant limit', async () => {
    const pool = new Mempool({ chain, verifier: new NobleVerifier() })
    const parent = spend([coins[3]], Array.from({ length: 30 }, () => ({ address: miner.address, amount: (coins[3].amount - 10_000n) / 30n })))
    expect(await outcome(pool, parent)).toBe('accepted')
    const children = outputsOf(parent, miner).map(o => spend([o], [{ address: miner.address, amount: o.amount - 300n }]))
    // every child passes its first check before any of them is inserted
    const results = await Promise.all(children.map(async c => await outcome(pool, c)))
    expect(results.filter(r => r === 'accepted')).toHaveLength(24)
    expect(results.filter(r => r === 'too-long-mempool-chain')).toHaveLength(6)
    expect(pool.get(toHex(txid(parent)))?.descCount).toBe(25)
    expect(pool.checkConsistency()).toEqual([])
  })

  it('a parent removed while its child is verified: the child is checked again in full and refused', async () => {
    // a verifier the test can hold between a transaction's first check and its insertion
    const inner = new NobleVerifier()
    let gate: Promise<void> | undefined
    const verifier: SignatureVerifier = { backend: inner.backend, verifyBatch: async checks => { await gate; return await inner.verifyBatch(checks) }, close: async () => await inner.close() }
    const pool = new Mempool({ chain, verifier })
    const [parent, child] = chainOf(coins[4], 2)
    expect(await outcome(pool, parent)).toBe('accepted')
    let open!: () => void
    gate = new Promise<void>(resolve => { open = resolve })
    const childOutcome = outcome(pool, child)
    pool.clear() // the parent goes (as a reorganisation or an eviction would take it)
    open()
    expect(await childOutcome).toBe('tx-missing-inputs')
    expect(pool.size).toBe(0)
    expect(pool.checkConsistency()).toEqual([])
  })

  it('a block spending the same coin connected while a transaction is verified: it is checked again in full and refused', async () => {
    const inner = new NobleVerifier()
    let gate: Promise<void> | undefined
    const verifier: SignatureVerifier = { backend: inner.backend, verifyBatch: async checks => { await gate; return await inner.verifyBatch(checks) }, close: async () => await inner.close() }
    const pool = new Mempool({ chain, verifier })
    // something in the pool, so that the coin lookups have a pool to look in too
    expect(await outcome(pool, chainOf(coins[6], 1)[0])).toBe('accepted')
    const [mine] = chainOf(coins[5], 1, 300n)
    const [theirs] = chainOf(coins[5], 1, 700n)
    let open!: () => void
    gate = new Promise<void>(resolve => { open = resolve })
    const pending = outcome(pool, mine)
    expect((await chain.processBlock(mineBlock(tip, [theirs], miner, { fees: 700n }))).status).toBe('connected')
    open()
    expect(await pending).toBe('tx-missing-inputs')
    expect(pool.has(toHex(txid(mine)))).toBe(false)
    expect(pool.checkConsistency()).toEqual([])
  })
})

describe('deep chains with the limits lifted: every walk is iterative', () => {
  it('a chain deeper than the stack can recurse goes through accept, template, expiry, reorg and a double spend', async () => {
    // a small stack (150 KB holds ~1,500 frames) makes any per-level recursion overflow at 2,500
    const script = fileURLToPath(new URL('../support/deep-chain-scenario.ts', import.meta.url))
    const { stdout } = await execFileAsync(process.execPath, ['--stack-size=150', '--import', 'tsx', script, '2500'], { timeout: 240_000 })
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>
    expect(r.recursionLimit as number).toBeLessThan(2500)
    expect(r).toMatchObject({
      accepted: 2500,
      templateInOrder: true,
      expired: 2500,
      acceptedAgain: 2500,
      afterReorg: 2501,
      fanoutDescendants: 2501,
      conflictBlock: 'connected',
      afterConflict: 0,
      consistent: true,
      listenerErrors: []
    })
    expect(r.error).toBeUndefined()
  }, 300_000)

  it('builds a template from a 30,000-deep package graph', () => {
    const entries: MempoolEntry[] = []
    for (let i = 0; i < 30_000; i++) {
      const e = { fee: 1000n, size: 100, parents: new Set(), children: new Set(), seq: i, txidHex: String(i) } as unknown as MempoolEntry
      if (i > 0) { e.parents.add(entries[i - 1]); entries[i - 1].children.add(e) }
      entries.push(e)
    }
    const chosen = selectPackages(entries, 1e9)
    expect(chosen).toHaveLength(30_000)
    expect(chosen.every((e, i) => e === entries[i])).toBe(true)
  })
})

describe('chain event listeners', () => {
  beforeEach(openChain)

  it('a listener that throws skips neither the mempool nor later listeners, and is reported', async () => {
    const reported: string[] = []
    chain.on('listenerError', (event, err) => reported.push(`${event}: ${(err as Error).message}`))
    chain.on('connect', () => { throw new Error('first listener fails') })
    const pool = new Mempool({ chain, verifier: new NobleVerifier() })
    const later: number[] = []
    chain.on('connect', (_b, entry) => later.push(entry.height))
    const tx = spend([coins[0]], [{ address: miner.address, amount: coins[0].amount - 500n }])
    await pool.accept(tx)
    const result = await chain.processBlock(mineBlock(tip, [tx], miner, { fees: 500n }))
    expect(result.status).toBe('connected')
    expect(pool.size).toBe(0)
    expect(later).toEqual([tip.height + 1])
    expect(reported).toEqual(['connect: first listener fails'])
  })

  it('a mempool listener that throws leaves the pool consistent', async () => {
    const pool = new Mempool({ chain, verifier: new NobleVerifier() })
    const reported: string[] = []
    pool.on('listenerError', event => reported.push(event))
    pool.on('removed', () => { throw new Error('dashboard down') })
    const txs = chainOf(coins[0], 5)
    for (const tx of txs) await pool.accept(tx)
    const doubleSpend = spend([coins[0]], [{ address: newKey().address, amount: coins[0].amount - 1000n }])
    await chain.processBlock(mineBlock(tip, [doubleSpend], miner, { fees: 1000n }))
    expect(pool.size).toBe(0)
    expect(reported).toEqual(Array(5).fill('removed'))
    expect(pool.checkConsistency()).toEqual([])
  })
})

describe('reorganisation', () => {
  beforeEach(openChain)

  it('a one-block reorg returns the block\'s transactions and re-checks only their spenders, without verifying signatures again', async () => {
    const verifier = new CountingVerifier(new NobleVerifier())
    const pool = new Mempool({ chain, verifier })
    const inBlock = spend([coins[0]], [{ address: miner.address, amount: coins[0].amount - 500n }])
    const lost = spend([coins[1]], [{ address: miner.address, amount: coins[1].amount - 500n }])
    const x = mineBlock(tip, [inBlock, lost], miner, { fees: 1000n, tag: 1 })
    await chain.processBlock(x)
    const child = spend(outputsOf(inBlock, miner), [{ address: miner.address, amount: coins[0].amount - 1000n }])
    const childOfLost = spend(outputsOf(lost, miner), [{ address: miner.address, amount: coins[1].amount - 1000n }])
    const unrelated = chainOf(coins[2], 3)
    for (const tx of [child, childOfLost, ...unrelated]) await pool.accept(tx)
    const checkedBefore = verifier.checked
    const kept = unrelated.map(tx => pool.get(toHex(txid(tx)))!)
    const seqs = kept.map(e => e.seq)
    const removed: string[] = []
    pool.on('removed', (e, reason) => removed.push(`${e.txidHex}:${reason}`))

    // the rival branch double-spends `lost`'s coin, so `lost` cannot come back, nor its child
    const thief = spend([coins[1]], [{ address: newKey().address, amount: coins[1].amount - 700n }])
    const r1 = mineBlock(tip, [thief], miner, { fees: 700n, tag: 2 })
    const r2 = mineBlock(tipOf(r1, tip.height + 1), [], miner, { tag: 2 })
    await chain.processBlock(r1)
    await chain.processBlock(r2)

    expect(new Set(pool.entries.keys())).toEqual(new Set(ids([inBlock, child, ...unrelated])))
    expect([...pool.get(toHex(txid(child)))!.parents].map(p => p.txidHex)).toEqual(ids([inBlock]))
    expect(removed).toEqual([`${toHex(txid(childOfLost))}:reorg`])
    // untouched entries are the same entries, not re-admitted
    expect(unrelated.map(tx => pool.get(toHex(txid(tx)))!)).toEqual(kept)
    expect(kept.map(e => e.seq)).toEqual(seqs)
    expect(verifier.checked).toBe(checkedBefore)
    expect(pool.checkConsistency()).toEqual([])
  })

  it('evicts the lowest descendant score first, and keeps a cheap parent its rich child pays for', async () => {
    const cheapParent = spend([coins[0]], [{ address: miner.address, amount: coins[0].amount - 200n }])
    const richChild = spend(outputsOf(cheapParent, miner), [{ address: miner.address, amount: coins[0].amount - 200n - 50_000n }])
    const medium = spend([coins[1]], [{ address: miner.address, amount: coins[1].amount - 5_000n }])
    const pool = new Mempool({ chain, verifier: new NobleVerifier(), maxBytes: txSize(cheapParent) + txSize(richChild) + txSize(medium) })
    for (const tx of [cheapParent, richChild, medium]) expect(await outcome(pool, tx)).toBe('accepted')
    // pays less than anything pending: refused at once
    expect(await outcome(pool, spend([coins[2]], [{ address: miner.address, amount: coins[2].amount - 300n }]))).toBe('mempool-full')
    // pays more than `medium`, less than the package: `medium` goes
    const better = spend([coins[3]], [{ address: miner.address, amount: coins[3].amount - 10_000n }])
    expect(await outcome(pool, better)).toBe('accepted')
    expect(new Set(pool.entries.keys())).toEqual(new Set(ids([cheapParent, richChild, better])))
    expect(pool.checkConsistency()).toEqual([])
  })
})

describe('miner', () => {
  beforeEach(openChain)

  it('reports a failing template build, tries again and goes on mining valid blocks', async () => {
    const pool = new Mempool({ chain, verifier: new NobleVerifier() })
    const txs = chainOf(coins[0], 30)
    for (const tx of txs) await outcome(pool, tx)
    let failures = 2
    const select = pool.selectForBlock.bind(pool)
    pool.selectForBlock = (maxBytes: number) => {
      if (failures > 0) { failures--; throw new RangeError('Maximum call stack size exceeded') }
      return select(maxBytes)
    }
    const m = new Miner({ chain, mempool: pool, payTo: miner.address, threads: 1, retryMs: 10 })
    const errors: string[] = []
    m.on('error', err => errors.push(err.message))
    const startHeight = chain.height
    m.start()
    try {
      const deadline = Date.now() + 30_000
      while (chain.height < startHeight + 2 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    } finally {
      await m.stop()
    }
    expect(errors).toEqual(['Maximum call stack size exceeded', 'Maximum call stack size exceeded'])
    expect(chain.height).toBeGreaterThanOrEqual(startHeight + 2)
    // the 25 the pool held were mined (valid: the chain connected them); the 26th can follow now
    const first = chain.getBlock(chain.entryAt(startHeight + 1)!.hash)!
    expect(ids(first.transactions.slice(1))).toEqual(ids(txs.slice(0, 25)))
    expect(pool.size).toBe(0)
    expect(await outcome(pool, txs[25])).toBe('accepted')
  })
})
