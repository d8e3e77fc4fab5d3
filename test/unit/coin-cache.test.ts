import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CoinCache } from '../../src/chain/coin-cache.js'
import { Chain } from '../../src/chain/chain.js'
import { coinKey, type BatchOp } from '../../src/chain/db-layout.js'
import { encodeCoin, type Coin } from '../../src/chain/records.js'
import { ChainStore, StorageError } from '../../src/chain/store.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { regtest } from '../../src/core/params.js'
import { toHex } from '../../src/core/bytes.js'
import { txid } from '../../src/core/tx.js'
import { ValidationError } from '../../src/core/errors.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tempDir, tipOf } from '../../bench/support/chain-fixtures.js'

/** A coin comparable whatever kind of byte array holds its address (LevelDB reads give Buffers). */
const plain = (c: Coin | undefined): unknown => c === undefined ? undefined : { ...c, address: toHex(c.address) }
const id = (n: number): Uint8Array => new Uint8Array(32).fill(n)
const coin = (amount: bigint, height = 1): Coin => ({ amount, address: new Uint8Array(20).fill(7), height, coinbase: false })
const put = (n: number, index: number, c: Coin): BatchOp => ({ type: 'put', key: coinKey(id(n), index), value: encodeCoin(c) })
const del = (n: number, index: number): BatchOp => ({ type: 'del', key: coinKey(id(n), index) })

/** A database as a map of hex keys, and a cache in front of it that counts the reads reaching it. */
function fakeDb (): { disk: Map<string, Uint8Array>, reads: () => number, cache: (max?: number) => CoinCache, apply: (ops: BatchOp[]) => void } {
  const disk = new Map<string, Uint8Array>()
  let reads = 0
  return {
    disk,
    reads: () => reads,
    cache: max => new CoinCache(k => { reads++; return disk.get(toHex(k)) }, max),
    apply: ops => { for (const op of ops) op.type === 'put' ? disk.set(toHex(op.key), op.value) : disk.delete(toHex(op.key)) }
  }
}

describe('CoinCache', () => {
  it('reads through to the database once, then answers from memory', () => {
    const db = fakeDb()
    db.apply([put(1, 0, coin(5n))])
    const cache = db.cache()
    expect(cache.getCoin(id(1), 0)?.amount).toBe(5n)
    expect(cache.getCoin(id(1), 0)?.amount).toBe(5n)
    expect(db.reads()).toBe(1)
    expect(cache.getCoin(id(1), 1)).toBeUndefined()
    expect(cache.getCoin(id(2), 0)).toBeUndefined()
    expect([cache.hits, cache.misses]).toEqual([1, 3])
  })

  it('hands the mempool a coin\'s encoding, read through once and kept as its own copy', () => {
    const db = fakeDb()
    // a database read that is a view into a larger buffer (a LevelDB read can be)
    const big = new Uint8Array(100)
    big.set(encodeCoin(coin(9n, 4)), 10)
    db.disk.set(toHex(coinKey(id(3), 2)), big.subarray(10, 43))
    const cache = db.cache()
    const k = coinKey(id(3), 2)
    const s = Buffer.from(k).toString('latin1')
    expect(cache.getEncodedAt(k, s)).toEqual(encodeCoin(coin(9n, 4)))
    // the read's buffer is not what is kept: overwriting it changes nothing
    big.fill(0xee)
    // from memory the second time, the same bytes getCoinAt decodes
    expect(cache.getEncodedAt(k, s)).toEqual(encodeCoin(coin(9n, 4)))
    expect(plain(cache.getCoinAt(k, s))).toEqual(plain(coin(9n, 4)))
    expect(db.reads()).toBe(1)
    expect(cache.retainedBytes()).toBe(33)
    expect(cache.getEncodedAt(coinKey(id(3), 3), Buffer.from(coinKey(id(3), 3)).toString('latin1'))).toBeUndefined()
  })

  it('hands out coins whose addresses outlive later lookups (only the encoding is a scratch read)', () => {
    const db = fakeDb()
    const a = { ...coin(1n), address: new Uint8Array(20).fill(1) }
    const b = { ...coin(2n), address: new Uint8Array(20).fill(2) }
    db.apply([put(1, 0, a), put(2, 0, b)])
    const cache = db.cache()
    const ka = coinKey(id(1), 0)
    const kb = coinKey(id(2), 0)
    const sa = Buffer.from(ka).toString('latin1')
    const sb = Buffer.from(kb).toString('latin1')
    cache.getCoinAt(ka, sa); cache.getCoinAt(kb, sb)
    // both from memory now
    const first = cache.getCoinAt(ka, sa)
    const encoded = cache.getEncodedAt(kb, sb)
    expect(encoded).toEqual(encodeCoin(b))
    const second = cache.getCoinAt(kb, sb)
    cache.getEncodedAt(kb, sb)
    expect(plain(first)).toEqual(plain(a))
    expect(plain(second)).toEqual(plain(b))
    expect(cache.hits).toBe(4)
  })

  it('keeps no block\'s buffer alive for the one coin of it left unspent', () => {
    // each "block" creates 100 coins as views of one buffer (as a block's batch
    // cuts them from its slab) and the next spends 99: a coinbase left unspent
    // in every block of a long chain, which once pinned a block's buffer each
    const db = fakeDb()
    const cache = db.cache()
    const slabs: Uint8Array[] = []
    for (let b = 1; b <= 10; b++) {
      const slab = new Uint8Array(100 * 64)
      slabs.push(slab)
      const ops: BatchOp[] = []
      for (let i = 0; i < 100; i++) {
        const value = slab.subarray(i * 64, i * 64 + 33)
        value.set(encodeCoin(coin(BigInt(b * 1000 + i), b)))
        ops.push({ type: 'put', key: coinKey(id(b), i), value })
      }
      if (b > 1) for (let i = 1; i < 100; i++) ops.push(del(b - 1, i))
      db.apply(ops)
      cache.committed(ops)
    }
    expect(cache.size).toBe(9 + 100)
    // a cached coin that were a view of a block's buffer would change with it
    for (const s of slabs) s.fill(0xee)
    expect(cache.getCoin(id(3), 0)?.amount).toBe(3000n)
    expect(cache.getCoin(id(10), 99)?.amount).toBe(10_099n)
    // each cached coin holds its own 33 bytes, not the 6,400 it was cut from
    expect(cache.retainedBytes()).toBe(cache.size * 33)
  })

  it('follows a written batch: created coins are known without a read, spent ones are gone', () => {
    const db = fakeDb()
    db.apply([put(1, 0, coin(5n))])
    const cache = db.cache()
    expect(cache.getCoin(id(1), 0)?.amount).toBe(5n)
    const ops = [del(1, 0), put(2, 0, coin(3n)), put(2, 1, coin(2n)), { type: 'put' as const, key: new Uint8Array([0x74, 1, 2]), value: new Uint8Array(40) }]
    db.apply(ops)
    cache.committed(ops)
    const before = db.reads()
    expect(cache.getCoin(id(2), 0)?.amount).toBe(3n)
    expect(cache.getCoin(id(2), 1)?.amount).toBe(2n)
    expect(db.reads()).toBe(before)
    expect(cache.getCoin(id(1), 0)).toBeUndefined()
    // a coin put back (a block disconnected) replaces nothing stale
    const back = [put(1, 0, coin(9n)), del(2, 1)]
    db.apply(back)
    cache.committed(back)
    expect(cache.getCoin(id(1), 0)?.amount).toBe(9n)
    expect(cache.getCoin(id(2), 1)).toBeUndefined()
  })

  it('holds at most maxCoins, dropping the oldest; what it dropped is read again, correctly', () => {
    const db = fakeDb()
    const ops = [1, 2, 3, 4].map(n => put(n, 0, coin(BigInt(n))))
    db.apply(ops)
    const cache = db.cache(3)
    cache.committed(ops)
    expect(cache.size).toBe(3)
    const before = db.reads()
    expect(cache.getCoin(id(4), 0)?.amount).toBe(4n)
    expect(db.reads()).toBe(before)
    expect(cache.getCoin(id(1), 0)?.amount).toBe(1n)
    expect(db.reads()).toBe(before + 1)
    expect(cache.size).toBe(3)
  })
})

describe('ChainStore: a staged batch', () => {
  let dir: ReturnType<typeof tempDir>
  let store: ChainStore
  beforeEach(async () => { dir = tempDir(); store = new ChainStore(dir.path); await store.open() })
  afterEach(async () => { await store.close(); dir.remove() })

  it('reaches the disk only when written, and tells onCommitted after the write', async () => {
    const seen: number[] = []
    store.onCommitted = ops => seen.push(ops.length)
    const prepared = store.prepare([put(1, 0, coin(5n))])
    expect(store.get(coinKey(id(1), 0))).toBeUndefined()
    expect(seen).toEqual([])
    await prepared.write()
    expect(store.get(coinKey(id(1), 0))).toBeDefined()
    expect(seen).toEqual([1])
    await expect(prepared.write()).rejects.toThrow(/once/)
  })

  it('is refused after a storage failure, like every write, and tells nobody', async () => {
    const seen: number[] = []
    store.onCommitted = ops => seen.push(ops.length)
    const prepared = store.prepare([put(1, 0, coin(5n))])
    store.failure = new StorageError('chain database', dir.path, 'write', new Error('disk full'))
    await expect(prepared.write()).rejects.toBe(store.failure)
    expect(store.get(coinKey(id(1), 0))).toBeUndefined()
    expect(seen).toEqual([])
  })

  it('leaves no trace when discarded', async () => {
    const seen: number[] = []
    store.onCommitted = ops => seen.push(ops.length)
    store.prepare([put(1, 0, coin(5n))]).discard()
    await store.write([put(2, 0, coin(1n))])
    expect(store.get(coinKey(id(1), 0))).toBeUndefined()
    expect(seen).toEqual([1])
  })
})

describe('Chain with its coin cache', () => {
  let dir: ReturnType<typeof tempDir>
  let chain: Chain
  const open = async (): Promise<Chain> => await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
  beforeEach(async () => { dir = tempDir(); chain = await open() })
  afterEach(async () => { await chain.close(); dir.remove() })

  /** Every coin on disk is what getCoin answers, and the outpoints given are spent. */
  async function expectCacheMatchesDisk (spent: Array<[Uint8Array, number]>): Promise<number> {
    let n = 0
    for await (const c of chain.coins()) {
      expect(plain(chain.getCoin(c.txid, c.index))).toEqual(plain(c.coin))
      n++
    }
    for (const [t, i] of spent) expect(chain.getCoin(t, i)).toBeUndefined()
    return n
  }

  it('answers as the database does through a reorganisation with a double spend, and after a reopen', async () => {
    const miner = newKey()
    const base = mineChain(genesisTip(), regtest.coinbaseMaturity + 1, miner)
    for (const b of base.blocks) await chain.processBlock(b)
    const alice = newKey()
    const bob = newKey()
    const c = base.coinbases[0]
    // read into the cache before it is spent
    expect(chain.getCoin(c.txid, 0)?.amount).toBe(c.amount)
    const toAlice = spend([c], [{ address: alice.address, amount: c.amount - 10n }])
    const toBob = spend([c], [{ address: bob.address, amount: c.amount - 10n }])
    const losing = [mineBlock(base.tip, [toAlice], miner, { fees: 10n, tag: 1 })]
    losing.push(...mineChain(tipOf(losing[0], base.tip.height + 1), 2, miner, 1).blocks)
    for (const b of losing) await chain.processBlock(b)
    expect(chain.getCoin(txid(toAlice), 0)?.amount).toBe(c.amount - 10n)
    await expectCacheMatchesDisk([[c.txid, 0]])

    const winning = [mineBlock(base.tip, [toBob], miner, { fees: 10n, tag: 2 })]
    winning.push(...mineChain(tipOf(winning[0], base.tip.height + 1), 3, miner, 2).blocks)
    const hitsBefore = chain.coinCache.hits
    for (const b of winning) await chain.processBlock(b)
    expect(chain.height).toBe(base.tip.height + 4)
    // the disconnect put the coinbase's coin back, toBob spent it again; toAlice's output is gone
    const coins = await expectCacheMatchesDisk([[c.txid, 0], [txid(toAlice), 0], [txid(losing[1].transactions[0]), 0]])
    expect(chain.getCoin(txid(toBob), 0)?.amount).toBe(c.amount - 10n)
    expect(chain.coinCache.hits).toBeGreaterThan(hitsBefore)

    await chain.close()
    chain = await open()
    expect(chain.coinCache.size).toBe(0)
    expect(await expectCacheMatchesDisk([[c.txid, 0], [txid(toAlice), 0]])).toBe(coins)
  })

  it('holds memory in proportion to the coins it caches, not a buffer chunk per block', async () => {
    // forty blocks of one coin each, all cached
    for (const b of mineChain(genesisTip(), 40, newKey()).blocks) await chain.processBlock(b)
    expect(chain.coinCache.size).toBe(40)
    // one block's coin values share one buffer sized to them (64 KiB each before)
    expect(chain.coinCache.retainedBytes()).toBeLessThanOrEqual(40 * 256)
  })

  it('a block with a bad signature changes nothing, in the cache or on disk', async () => {
    const miner = newKey()
    const base = mineChain(genesisTip(), regtest.coinbaseMaturity + 1, miner)
    for (const b of base.blocks) await chain.processBlock(b)
    const c = base.coinbases[0]
    expect(chain.getCoin(c.txid, 0)).toBeDefined()
    const tx = spend([c], [{ address: miner.address, amount: c.amount - 10n }])
    const forged = { ...tx, inputs: tx.inputs.map(i => ({ ...i, signature: i.signature.map((b, j) => j === 10 ? b ^ 1 : b) })) }
    const bad = mineBlock(base.tip, [forged], miner, { fees: 10n })
    await expect(chain.processBlock(bad)).rejects.toSatisfy(err => err instanceof ValidationError && err.code === 'tx-bad-signature')
    expect(chain.height).toBe(base.tip.height)
    expect(chain.getCoin(c.txid, 0)?.amount).toBe(c.amount)
    expect(chain.getCoin(txid(forged), 0)).toBeUndefined()
    await expectCacheMatchesDisk([])
    await chain.close()
    chain = await open()
    expect(chain.height).toBe(base.tip.height)
    expect(chain.getCoin(c.txid, 0)?.amount).toBe(c.amount)
  })
})
