// Chain.processBlocks (block-run.ts): a download's consecutive blocks
// connect in one write, disk first; an invalid block in the middle of a run
// leaves the ones before it connected, itself stored and invalid, the ones
// on it refused; a failed write changes nothing in memory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Chain } from '../../src/chain/chain.js'
import { hasData, isInvalid } from '../../src/chain/block-index.js'
import { COIN_KEY_BYTES, coinKey, META_TIP, Prefix } from '../../src/chain/db-layout.js'
import type { ChainStore } from '../../src/chain/store.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { regtest } from '../../src/core/params.js'
import { blockHash, blockHashHex } from '../../src/core/block.js'
import { toHex } from '../../src/core/bytes.js'
import { ValidationError } from '../../src/core/errors.js'
import { txid } from '../../src/core/tx.js'
import type { Block } from '../../src/core/types.js'
import { genesisTip, mineBlock, mineChain, newKey, outputsOf, spend, tempDir, tipOf, type Key, type Spendable, type Tip } from '../../bench/support/chain-fixtures.js'

let dir: ReturnType<typeof tempDir>
let chain: Chain
let miner: Key

async function open (): Promise<Chain> {
  return await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
}

function storeOf (c: Chain): ChainStore {
  return (c as unknown as { store: ChainStore }).store
}

/** Counts the batches that reach the disk. */
function countWrites (c: Chain): { writes: number } {
  const store = storeOf(c)
  const committed = store.onCommitted
  const counter = { writes: 0 }
  store.onCommitted = ops => { counter.writes++; committed?.(ops) }
  return counter
}

/**
 * `count` blocks on `tip`, each spending the previous block's change: a
 * coin created in one block of a run is spent by the next. The first spends
 * `coin`.
 */
function spendingChain (tip: Tip, coin: Spendable, count: number, opts: { badAt?: number } = {}): { blocks: Block[], created: Spendable[] } {
  const blocks: Block[] = []
  const created: Spendable[] = []
  let prev = coin
  for (let i = 0; i < count; i++) {
    const tx = spend([prev], [{ address: miner.address, amount: prev.amount - 1000n }])
    // the coinbase of block `badAt` claims too much: checked only when it connects
    const block = mineBlock(tip, [tx], miner, i === opts.badAt ? { coinbaseAmount: 10n ** 15n } : { fees: 1000n })
    blocks.push(block)
    tip = tipOf(block, tip.height + 1)
    prev = outputsOf(tx, miner)[0]
    created.push(prev)
  }
  return { blocks, created }
}

/** A chain with a mature coinbase to spend, connected; returns its tip and the coin. */
async function matureChain (): Promise<{ tip: Tip, coin: Spendable }> {
  const { blocks, tip, coinbases } = mineChain(genesisTip(), regtest.coinbaseMaturity + 1, miner)
  for (const b of blocks) await chain.processBlock(b)
  return { tip, coin: coinbases[0] }
}

beforeEach(async () => {
  dir = tempDir()
  chain = await open()
  miner = newKey()
})

afterEach(async () => {
  await chain.close()
  dir.remove()
})

describe('chain: a run of downloaded blocks', () => {
  it('connects in one write, then emits each block\'s connect and tip once, in order, with the whole run already on disk', async () => {
    const { tip, coin } = await matureChain()
    const { blocks, created } = spendingChain(tip, coin, 12)
    await chain.processHeaders(blocks.map(b => b.header))
    const counter = countWrites(chain)
    const events: string[] = []
    const store = storeOf(chain)
    const lastHash = blockHash(blocks[11].header)
    // what each 'connect' saw (a listener's throw would be caught by the chain: recorded, checked after)
    const seen: Array<{ blockStored: boolean, storedTip: string | undefined, sameBlock: boolean, isTip: boolean }> = []
    chain.on('connect', (block, entry) => {
      events.push(`connect ${entry.height}`)
      const storedTip = store.get(META_TIP)
      seen.push({
        blockStored: store.getBlockBytes(lastHash) !== undefined,
        storedTip: storedTip === undefined ? undefined : toHex(storedTip),
        sameBlock: entry.hashHex === blockHashHex(block.header),
        isTip: chain.tip === entry
      })
    })
    chain.on('tip', entry => events.push(`tip ${entry.height}`))
    const verdicts = await chain.processBlocks(blocks)
    expect(verdicts.map(v => v instanceof ValidationError ? v.code : v.status)).toEqual(blocks.map(() => 'connected'))
    expect(counter.writes).toBe(1)
    const h0 = tip.height
    expect(events).toEqual(blocks.flatMap((_, i) => [`connect ${h0 + i + 1}`, `tip ${h0 + i + 1}`]))
    // disk first: the run's last block is stored and is the stored tip before any event
    expect(seen).toEqual(blocks.map(() => ({ blockStored: true, storedTip: toHex(lastHash), sameBlock: true, isTip: true })))
    // each block's coins as the blocks before it in the run left them: every created coin but the last was spent
    expect(chain.getCoin(coin.txid, coin.index)).toBeUndefined()
    for (const c of created.slice(0, -1)) expect(chain.getCoin(c.txid, c.index)).toBeUndefined()
    expect(chain.getCoin(created[11].txid, created[11].index)?.amount).toBe(created[11].amount)
    // and so after a reopen (no cache)
    await chain.close()
    chain = await open()
    expect(chain.height).toBe(h0 + 12)
    for (const c of created.slice(0, -1)) expect(chain.getCoin(c.txid, c.index)).toBeUndefined()
    expect(chain.getCoin(created[11].txid, created[11].index)?.amount).toBe(created[11].amount)
    expect(chain.getTxLocation(txid(blocks[5].transactions[1]))?.height).toBe(h0 + 6)
  })

  it('a coin one block of a run creates and a later one spends is neither put nor deleted; the database ends as with the blocks connected one by one, and a disconnect brings the coin back', async () => {
    const { tip, coin } = await matureChain()
    const { blocks, created } = spendingChain(tip, coin, 12)
    await chain.processHeaders(blocks.map(b => b.header))
    const store = storeOf(chain)
    // the coin ops that reach LevelDB (a write listener sees every op of a batch)
    const coinOps: string[] = []
    store.db.on('write', ops => {
      for (const op of ops as Array<{ type: string, key: Uint8Array }>) if (op.key.length === COIN_KEY_BYTES && op.key[0] === Prefix.coin) coinOps.push(`${op.type} ${toHex(op.key)}`)
    })
    const verdicts = await chain.processBlocks(blocks)
    expect(verdicts.every(v => !(v instanceof ValidationError) && v.status === 'connected')).toBe(true)
    const keyOf = (c: Spendable): string => toHex(coinKey(c.txid, c.index))
    // created and spent within the run: never written
    for (const c of created.slice(0, -1)) expect(coinOps.filter(op => op.endsWith(keyOf(c)))).toEqual([])
    // stored before the run and spent in it: deleted; created by the last block: put; and nothing else for these blocks' spends
    expect(coinOps).toContain(`del ${keyOf(coin)}`)
    expect(coinOps).toContain(`put ${keyOf(created[11])}`)
    expect(coinOps.filter(op => op.startsWith('del'))).toEqual([`del ${keyOf(coin)}`])

    // the same blocks one by one, in a database of their own: the same records, key by key
    const otherDir = tempDir()
    const other = await Chain.open({ location: otherDir.path, params: regtest, verifier: new NobleVerifier() })
    try {
      // matureChain's blocks again (mined alike from the same key: the run's blocks build on them)
      const setup = mineChain(genesisTip(), regtest.coinbaseMaturity + 1, miner)
      for (const b of [...setup.blocks, ...blocks]) await other.processBlock(b)
      expect(other.height).toBe(chain.height)
      const rows = async (s: ChainStore): Promise<string[]> => {
        const out: string[] = []
        for await (const [k, v] of s.scan(new Uint8Array(0))) out.push(`${toHex(k)}=${toHex(v)}`)
        return out
      }
      expect(await rows(store)).toEqual(await rows(storeOf(other)))
    } finally {
      await other.close()
      otherDir.remove()
    }

    // a longer branch from block 9 disconnects blocks 10 and 11: the coin block 9 created (spent by 10, never written) is back
    let forkTip = tipOf(blocks[9], tip.height + 10)
    const fork: Block[] = []
    for (let i = 0; i < 3; i++) {
      const b = mineBlock(forkTip, [], miner, { coinbaseAmount: 1n + BigInt(i) })
      fork.push(b)
      forkTip = tipOf(b, forkTip.height + 1)
    }
    for (const b of fork) await chain.processBlock(b)
    expect(chain.height).toBe(tip.height + 13)
    expect(chain.getCoin(created[9].txid, created[9].index)?.amount).toBe(created[9].amount)
    expect(chain.getCoin(created[10].txid, created[10].index)).toBeUndefined()
    await chain.close()
    chain = await open()
    expect(chain.getCoin(created[9].txid, created[9].index)?.amount).toBe(created[9].amount)
    expect(chain.getCoin(created[8].txid, created[8].index)).toBeUndefined()
  })

  it('with an invalid block in the middle: the ones before connect, it is stored invalid, the ones on it are refused; events once each, in order', async () => {
    const { tip, coin } = await matureChain()
    const { blocks } = spendingChain(tip, coin, 10, { badAt: 4 })
    await chain.processHeaders(blocks.map(b => b.header))
    const events: string[] = []
    chain.on('connect', (_b, entry) => events.push(`connect ${entry.height}`))
    chain.on('tip', entry => events.push(`tip ${entry.height}`))
    chain.on('invalid', (entry, err) => events.push(`invalid ${entry.height} ${err.code}`))
    const processed: string[] = []
    chain.on('processed', result => processed.push(result))
    const verdicts = await chain.processBlocks(blocks)
    const h0 = tip.height
    const codes = verdicts.map(v => v instanceof ValidationError ? v.code : v.status)
    // the blocks after the invalid one are not processed (the download drops the reply there)
    expect(codes).toEqual(['connected', 'connected', 'connected', 'connected', 'cb-amount-too-large'])
    expect(processed).toEqual(['connected', 'connected', 'connected', 'connected', 'rejected'])
    expect(events).toEqual([
      ...[1, 2, 3, 4].flatMap(i => [`connect ${h0 + i}`, `tip ${h0 + i}`]),
      `invalid ${h0 + 5} cb-amount-too-large`,
      `tip ${h0 + 4}`
    ])
    expect(chain.height).toBe(h0 + 4)
    await chain.close()
    chain = await open()
    expect(chain.height).toBe(h0 + 4)
    const bad = chain.getEntry(blockHashHex(blocks[4].header))!
    expect(hasData(bad) && isInvalid(bad)).toBe(true)
    // the ones built on it are refused: marked invalid with it, stored without data
    for (const b of blocks.slice(5)) {
      const e = chain.getEntry(blockHashHex(b.header))!
      expect(isInvalid(e) && !hasData(e)).toBe(true)
      await expect(chain.processBlock(b)).rejects.toThrow(/invalid/)
    }
  })

  it('a failed write changes nothing in memory: no event, the tip and coins as before, and it reopens at the last written tip', async () => {
    const { tip, coin } = await matureChain()
    const { blocks, created } = spendingChain(tip, coin, 8)
    await chain.processHeaders(blocks.map(b => b.header))
    const store = storeOf(chain)
    // the disk refuses the run's batch
    const stage = store.stage.bind(store)
    store.stage = () => {
      const batch = stage()
      return { ...batch, write: async () => { batch.discard(); throw store.failure ?? new Error('disk full (simulated)') } }
    }
    const events: string[] = []
    chain.on('connect', (_b, entry) => events.push(`connect ${entry.height}`))
    chain.on('tip', entry => events.push(`tip ${entry.height}`))
    await expect(chain.processBlocks(blocks)).rejects.toThrow(/disk full/)
    expect(events).toEqual([])
    expect(chain.height).toBe(tip.height)
    for (const b of blocks) expect(hasData(chain.getEntry(blockHashHex(b.header))!)).toBe(false)
    expect(chain.getCoin(coin.txid, coin.index)?.amount).toBe(coin.amount)
    expect(chain.getCoin(created[0].txid, created[0].index)).toBeUndefined()
    await chain.close()
    chain = await open()
    expect(chain.height).toBe(tip.height)
    expect(chain.getCoin(coin.txid, coin.index)?.amount).toBe(coin.amount)
    // and the run connects once the disk takes it
    const verdicts = await chain.processBlocks(blocks)
    expect(verdicts.every(v => !(v instanceof ValidationError) && v.status === 'connected')).toBe(true)
    expect(chain.height).toBe(tip.height + 8)
  })

  it('splits what it is handed into runs of at most RUN_MAX_BLOCKS, one write each', async () => {
    const { tip, coin } = await matureChain()
    const { blocks } = spendingChain(tip, coin, 40)
    await chain.processHeaders(blocks.map(b => b.header))
    const counter = countWrites(chain)
    const verdicts = await chain.processBlocks(blocks)
    expect(verdicts.every(v => !(v instanceof ValidationError) && v.status === 'connected')).toBe(true)
    expect(chain.height).toBe(tip.height + 40)
    // 16 + 16 + 8
    expect(counter.writes).toBe(3)
  })

  it('blocks that are not the plain case (later blocks stored first, competing for the tip) go the single way, with the same verdicts', async () => {
    const { tip, coin } = await matureChain()
    const { blocks } = spendingChain(tip, coin, 30)
    await chain.processHeaders(blocks.map(b => b.header))
    // blocks 20.. first: not on the tip, each stored alone
    const late = await chain.processBlocks(blocks.slice(20))
    expect(late.every(v => !(v instanceof ValidationError) && v.status === 'side')).toBe(true)
    expect(chain.height).toBe(tip.height)
    const connects: number[] = []
    chain.on('connect', (_b, entry) => connects.push(entry.height))
    const verdicts = await chain.processBlocks(blocks.slice(0, 20))
    expect(verdicts.every(v => !(v instanceof ValidationError) && v.status === 'connected')).toBe(true)
    expect(chain.height).toBe(tip.height + 30)
    expect(connects).toEqual(blocks.map((_, i) => tip.height + i + 1))
  })

  it('pipelined: a second run stages while the first is written, on the first\'s coins, and is written after it; events in order, once each', async () => {
    const { tip, coin } = await matureChain()
    const { blocks, created } = spendingChain(tip, coin, 24)
    await chain.processHeaders(blocks.map(b => b.header))
    const store = storeOf(chain)
    // hold the first run's write until the second run has been staged
    let release: () => void = () => {}
    const held = new Promise<void>(resolve => { release = resolve })
    const order: string[] = []
    const stage = store.stage.bind(store)
    let stagedRuns = 0
    store.stage = () => {
      const batch = stage()
      const n = ++stagedRuns
      if (n === 2) release()
      return { ...batch, write: async () => { if (n === 1) await held; order.push(`write ${n}`); await batch.write() } }
    }
    const events: string[] = []
    chain.on('connect', (_b, entry) => events.push(`connect ${entry.height}`))
    const first = chain.processBlocks(blocks.slice(0, 12))
    const second = chain.processBlocks(blocks.slice(12))
    const [a, b] = await Promise.all([first, second])
    expect([...a, ...b].every(v => !(v instanceof ValidationError) && v.status === 'connected')).toBe(true)
    expect(stagedRuns).toBe(2)
    expect(order).toEqual(['write 1', 'write 2'])
    expect(events).toEqual(blocks.map((_, i) => `connect ${tip.height + i + 1}`))
    // the second run spent the coin the first run's last block created
    expect(chain.getCoin(created[11].txid, created[11].index)).toBeUndefined()
    expect(chain.getCoin(created[23].txid, created[23].index)?.amount).toBe(created[23].amount)
    await chain.close()
    chain = await open()
    expect(chain.height).toBe(tip.height + 24)
    expect(chain.getCoin(created[11].txid, created[11].index)).toBeUndefined()
  })

  it('pipelined: when the first run\'s write fails, the second (staged on it) is not written either, and nothing in memory moved', async () => {
    const { tip, coin } = await matureChain()
    const { blocks } = spendingChain(tip, coin, 24)
    await chain.processHeaders(blocks.map(b => b.header))
    const store = storeOf(chain)
    const stage = store.stage.bind(store)
    let stagedRuns = 0
    let written = 0
    store.stage = () => {
      const batch = stage()
      const n = ++stagedRuns
      return {
        ...batch,
        write: async () => {
          if (n === 1) { await new Promise(resolve => setTimeout(resolve, 20)); batch.discard(); throw new Error('disk full (simulated)') }
          written++
          await batch.write()
        }
      }
    }
    const events: string[] = []
    chain.on('connect', (_b, entry) => events.push(`connect ${entry.height}`))
    const first = chain.processBlocks(blocks.slice(0, 12))
    const second = chain.processBlocks(blocks.slice(12))
    await expect(first).rejects.toThrow(/disk full/)
    await expect(second).rejects.toThrow(/disk full/)
    expect(stagedRuns).toBe(2)
    expect(written).toBe(0)
    expect(events).toEqual([])
    expect(chain.height).toBe(tip.height)
    expect(chain.getCoin(coin.txid, coin.index)?.amount).toBe(coin.amount)
    await chain.close()
    chain = await open()
    expect(chain.height).toBe(tip.height)
  })
})
