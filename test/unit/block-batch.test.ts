// A block's batch without an object per op (block-batch.ts): the ops come
// out as they went in, whatever the buffers had to grow to, and a connected
// block leaves exactly the records the database layout (db-layout.ts)
// documents; disconnecting it removes them again.
import { afterEach, describe, expect, it } from 'vitest'
import { BlockBatch, dropCancelledCoins, PackedOps } from '../../src/chain/block-batch.js'
import { Chain } from '../../src/chain/chain.js'
import { addressKey, coinKey, key, META_TIP, Prefix, txKey, u32be } from '../../src/chain/db-layout.js'
import { encodeCoin, encodeTxLocation, encodeUndo } from '../../src/chain/records.js'
import { ChainStore } from '../../src/chain/store.js'
import { blockHash } from '../../src/core/block.js'
import { toHex } from '../../src/core/bytes.js'
import { regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tempDir } from '../../bench/support/chain-fixtures.js'

const dirs: Array<{ remove: () => void }> = []
afterEach(() => { for (const d of dirs.splice(0)) d.remove() })

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

describe('packed ops', () => {
  it('hand out every op in order with its bytes, after the buffers grew many times', () => {
    const packed = new PackedOps(64, 4)
    const want: Array<[string, string | undefined]> = []
    for (let i = 0; i < 300; i++) {
      const k = bytes(1 + (i % 40), i & 0xff)
      if (i % 3 === 0) {
        packed.delBytes(k)
        want.push([toHex(k), undefined])
      } else {
        const v = bytes(i % 50, (i * 7) & 0xff)
        packed.putBytes(k, v)
        want.push([toHex(k), toHex(v)])
      }
    }
    // ranges written in place, one value shared by two keys (as a transaction's address records share its position)
    const at = packed.reserve(8)
    packed.bytes.set([1, 2, 3, 4, 9, 9, 9, 9], at)
    packed.put(at + 4, 4, at, 4)
    packed.put(at + 5, 3, at, 4)
    want.push(['09090909', '01020304'], ['090909', '01020304'])
    const got: Array<[string, string | undefined]> = []
    packed.stageInto({ put: (k, v) => got.push([toHex(k), toHex(v)]), del: k => got.push([toHex(k), undefined]) })
    expect(got).toEqual(want)
    expect(packed.count).toBe(302)
    expect(packed.toOps().map(op => [toHex(op.key), op.type === 'put' ? toHex(op.value) : undefined])).toEqual(want)
    // a sink that copies at once gets the same bytes, in arrays reused from op to op (short ones) ...
    const copied: Array<[string, string | undefined]> = []
    const seen = new Set<Uint8Array>()
    let handed = 0
    packed.stageInto({ copies: true, put: (k, v) => { copied.push([toHex(k), toHex(v)]); seen.add(k); seen.add(v); handed += 2 }, del: k => { copied.push([toHex(k), undefined]); seen.add(k); handed++ } })
    expect(copied).toEqual(want)
    expect(seen.size).toBeLessThan(handed / 3)
    // ... and one that keeps them gets views of their own
    const kept: Uint8Array[] = []
    packed.stageInto({ put: (k, v) => kept.push(k, v), del: k => kept.push(k) })
    expect(new Set(kept).size).toBe(kept.length)
  })
})

describe('coin ops that cancel out in one batch of blocks', () => {
  /** A block's coin ops as connectBlock lays them out: one op first (its undo), then a del per spent key, a put per added key. */
  function blockOf (spent: string[], added: string[]): BlockBatch {
    const packed = new PackedOps(64, 4)
    packed.putBytes(bytes(3, 9), bytes(2, 9))
    const coinOpsAt = packed.count
    for (const s of spent) packed.delBytes(Buffer.from(s, 'latin1'))
    for (const s of added) packed.putBytes(Buffer.from(s, 'latin1'), bytes(4, 1))
    packed.putBytes(bytes(3, 8), bytes(2, 8))
    return new BlockBatch(packed, { spent: new Set(spent), added: new Map(added.map((s, i) => [s, i])), values: new Uint8Array(0) }, coinOpsAt)
  }
  const written = (b: BlockBatch): string[] => b.ops.toOps().map(op => `${op.type} ${Buffer.from(op.key).toString('latin1')}`)

  it('are dropped: a key one block puts and a later block deletes is in neither; every other op stays, in order', () => {
    const first = blockOf(['old'], ['a', 'b'])
    const second = blockOf(['a', 'older'], ['c'])
    const third = blockOf(['c', 'b'], ['d'])
    expect(dropCancelledCoins([first, second, third])).toBe(6)
    const undo = `put ${Buffer.from(bytes(3, 9)).toString('latin1')}`
    const tip = `put ${Buffer.from(bytes(3, 8)).toString('latin1')}`
    expect(written(first)).toEqual([undo, 'del old', tip])
    expect(written(second)).toEqual([undo, 'del older', tip])
    expect(written(third)).toEqual([undo, 'put d', tip])
    // the coin changes stay whole (the coin cache follows them block by block)
    expect([...second.coins.spent]).toEqual(['a', 'older'])
  })

  it('in one block alone, or when the spend comes first, nothing is dropped', () => {
    const alone = blockOf(['x'], ['y'])
    expect(dropCancelledCoins([alone])).toBe(0)
    expect(written(alone)).toHaveLength(4)
    const spends = blockOf(['z'], [])
    const creates = blockOf([], ['z'])
    expect(dropCancelledCoins([spends, creates])).toBe(0)
    expect(written(spends)).toContain('del z')
    expect(written(creates)).toContain('put z')
  })

  it('an op that does not exist cannot be dropped', () => {
    const packed = new PackedOps(64, 4)
    packed.putBytes(bytes(1, 1), bytes(1, 1))
    expect(() => { packed.drop(1) }).toThrow(RangeError)
    expect(() => { packed.drop(-1) }).toThrow(RangeError)
    packed.drop(0)
    expect(packed.toOps()).toEqual([])
  })
})

describe('a staged batch', () => {
  it('writes the same records whether the database has a write listener (ops kept) or not (arrays reused)', async () => {
    const written: string[][] = []
    for (const listen of [false, true]) {
      const dir = tempDir('minicoin-block-batch-stage-')
      dirs.push(dir)
      const store = new ChainStore(dir.path)
      await store.open()
      const events: unknown[] = []
      if (listen) store.db.on('write', ops => events.push(...ops))
      const packed = new PackedOps(64, 4)
      for (let i = 0; i < 200; i++) packed.putBytes(bytes(1 + (i % 60), i), bytes(i % 70, i + 1))
      for (let i = 0; i < 200; i += 7) packed.delBytes(bytes(1 + (i % 60), i))
      const batch = store.stage()
      batch.add(new BlockBatch(packed, { spent: new Set(), added: new Map(), values: new Uint8Array(0) }, 0))
      await batch.write()
      const rows: string[] = []
      for await (const [k, v] of store.scan(new Uint8Array(0))) rows.push(`${toHex(k)}=${toHex(v)}`)
      written.push(rows)
      // the listener saw every op with its own bytes
      if (listen) expect(events.map(op => toHex((op as { key: Uint8Array }).key))).toEqual(packed.toOps().map(op => toHex(op.key)))
      await store.close()
    }
    expect(written[0].length).toBeGreaterThan(100)
    expect(written[1]).toEqual(written[0])
  })
})

describe('a connected block in the database', () => {
  it('has its coins, undo data, tx locations, address records, height and tip as the layout says, and loses them when disconnected', async () => {
    const dir = tempDir('minicoin-block-batch-')
    dirs.push(dir)
    const miner = newKey()
    const alice = newKey()
    const bob = newKey()
    const open = async (): Promise<Chain> => await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
    let chain = await open()
    const { blocks, tip, coinbases } = mineChain(genesisTip(), regtest.coinbaseMaturity + 1, miner)
    for (const b of blocks) expect((await chain.processBlock(b)).status).toBe('connected')
    // a payment to two addresses, and a second transaction in the same block spending one of its outputs
    const pay = spend([coinbases[0]], [{ address: alice.address, amount: 1_000n }, { address: bob.address, amount: coinbases[0].amount - 2_000n }])
    const payId = txid(pay)
    const chained = spend([{ txid: payId, index: 0, amount: 1_000n, key: alice }], [{ address: bob.address, amount: 900n }])
    const block = mineBlock(tip, [pay, chained], miner, { fees: 1_100n })
    const height = tip.height + 1
    expect((await chain.processBlock(block)).status).toBe('connected')
    await chain.close()

    const hash = blockHash(block.header)
    const store = new ChainStore(dir.path)
    await store.open()
    const hex = (k: Uint8Array): string | undefined => { const v = store.get(k); return v === undefined ? undefined : toHex(v) }
    const ids = block.transactions.map(txid)
    const spentCoin = { amount: coinbases[0].amount, address: miner.address, height: 1, coinbase: true }
    const paidAlice = { amount: 1_000n, address: alice.address, height, coinbase: false }
    try {
      // coins: the spent coinbase and the coin spent inside the block are gone, the others are there
      expect(hex(coinKey(coinbases[0].txid, 0))).toBeUndefined()
      expect(hex(coinKey(payId, 0))).toBeUndefined()
      expect(hex(coinKey(payId, 1))).toBe(toHex(encodeCoin({ amount: coinbases[0].amount - 2_000n, address: bob.address, height, coinbase: false })))
      expect(hex(coinKey(ids[2], 0))).toBe(toHex(encodeCoin({ amount: 900n, address: bob.address, height, coinbase: false })))
      expect(hex(coinKey(ids[0], 0))).toBe(toHex(encodeCoin({ amount: block.transactions[0].outputs[0].amount, address: miner.address, height, coinbase: true })))
      // undo: the coins spent, in input order
      expect(hex(key(Prefix.undo, hash))).toBe(toHex(encodeUndo([spentCoin, paidAlice])))
      // where each transaction is, and one address record per address it touches, valued with its position
      ids.forEach((id, i) => { expect(hex(txKey(id))).toBe(toHex(encodeTxLocation({ blockHash: hash, height, index: i }))) })
      expect(hex(addressKey(miner.address, height, ids[0]))).toBe('00000000')
      for (const a of [miner.address, alice.address, bob.address]) expect(hex(addressKey(a, height, ids[1]))).toBe('00000001')
      for (const a of [alice.address, bob.address]) expect(hex(addressKey(a, height, ids[2]))).toBe('00000002')
      expect(hex(addressKey(miner.address, height, ids[2]))).toBeUndefined()
      expect(hex(key(Prefix.height, u32be(height)))).toBe(toHex(hash))
      expect(hex(META_TIP)).toBe(toHex(hash))
    } finally {
      await store.close()
    }

    // a longer branch from the block before disconnects it: its records go, the coinbase it spent comes back
    chain = await open()
    const other = mineChain(tip, 2, newKey(), 7)
    for (const b of other.blocks) await chain.processBlock(b)
    expect(chain.height).toBe(height + 1)
    await chain.close()
    const after = new ChainStore(dir.path)
    await after.open()
    try {
      const has = (k: Uint8Array): boolean => after.get(k) !== undefined
      expect(has(coinKey(coinbases[0].txid, 0))).toBe(true)
      expect([coinKey(payId, 1), coinKey(ids[2], 0), key(Prefix.undo, hash), txKey(ids[1]), txKey(ids[2]), addressKey(alice.address, height, ids[1]), addressKey(bob.address, height, ids[2])].map(has)).toEqual([false, false, false, false, false, false, false])
      expect(toHex(after.get(key(Prefix.height, u32be(height)))!)).toBe(toHex(blockHash(other.blocks[0].header)))
    } finally {
      await after.close()
    }
  })
})
