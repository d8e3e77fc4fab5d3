import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Chain } from '../../src/chain/chain.js'
import { hasData, isInvalid } from '../../src/chain/block-index.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { regtest } from '../../src/core/params.js'
import { blockHashHex } from '../../src/core/block.js'
import { toHex } from '../../src/core/bytes.js'
import { txid } from '../../src/core/tx.js'
import { ValidationError } from '../../src/core/errors.js'
import type { Block } from '../../src/core/types.js'
import { genesisTip, mineBlock, mineChain, newKey, outputsOf, spend, tempDir, tipOf, type Key } from '../../bench/support/chain-fixtures.js'

let dir: ReturnType<typeof tempDir>
let chain: Chain
let miner: Key

async function open (): Promise<Chain> {
  return await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
}

async function connectAll (blocks: Block[]): Promise<void> {
  for (const b of blocks) await chain.processBlock(b)
}

async function rejectCode (block: Block): Promise<string> {
  try {
    await chain.processBlock(block)
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    return (err as ValidationError).code
  }
  return 'accepted'
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

describe('chain: connecting blocks', () => {
  it('starts at genesis and connects a run of blocks', async () => {
    expect(chain.height).toBe(0)
    expect(chain.tip.hashHex).toBe(regtest.genesisHash)
    const { blocks, coinbases } = mineChain(genesisTip(), 5, miner)
    for (const b of blocks) expect((await chain.processBlock(b)).status).toBe('connected')
    expect(chain.height).toBe(5)
    expect(chain.getCoin(coinbases[0].txid, 0)?.amount).toBe(coinbases[0].amount)
    expect(chain.getTxLocation(coinbases[4].txid)?.height).toBe(5)
    const history = await chain.addressHistory(miner.address, 0, 100)
    expect(history.map(h => h.height)).toEqual([1, 2, 3, 4, 5])
    expect((await chain.processBlock(blocks[2])).status).toBe('duplicate')
  })

  it('stores and connects a block that extends the tip in one write, and stores one that fails to connect as invalid', async () => {
    const { blocks } = mineChain(genesisTip(), 3, miner)
    // every batch that reaches the disk, written at once or staged first
    const store = (chain as unknown as { store: { onCommitted: ((ops: unknown[]) => void) | undefined } }).store
    const committed = store.onCommitted
    let writes = 0
    store.onCommitted = (ops) => { writes++; committed?.(ops) }
    await chain.processBlock(blocks[0])
    expect(writes).toBe(1)
    // the coinbase claims too much: checked only when it connects
    const greedy = mineBlock(tipOf(blocks[0], 1), [], miner, { coinbaseAmount: 10n ** 15n })
    expect(await rejectCode(greedy)).toBe('cb-amount-too-large')
    expect(chain.height).toBe(1)
    await chain.close()
    chain = await open()
    const entry = chain.getEntry(blockHashHex(greedy.header))
    expect(entry !== undefined && isInvalid(entry) && hasData(entry)).toBe(true)
    expect(chain.getBlock(blockHashHex(greedy.header))).toBeDefined()
    expect(await rejectCode(greedy)).not.toBe('accepted')
    await connectAll(blocks.slice(1))
    expect(chain.height).toBe(3)
  })

  it('spends a mature coinbase, pays the fee to the miner and indexes both sides', async () => {
    const { blocks, tip, coinbases } = mineChain(genesisTip(), regtest.coinbaseMaturity, miner)
    await connectAll(blocks)
    const alice = newKey()
    const tx = spend([coinbases[0]], [{ address: alice.address, amount: 1000n }, { address: miner.address, amount: coinbases[0].amount - 1100n }])
    const b = mineBlock(tip, [tx], miner, { fees: 100n })
    expect((await chain.processBlock(b)).status).toBe('connected')
    expect(chain.getCoin(coinbases[0].txid, 0)).toBeUndefined()
    expect(chain.getCoin(txid(tx), 0)?.amount).toBe(1000n)
    expect(chain.getCoin(txid(b.transactions[0]), 0)?.amount).toBe(regtest.initialReward + 100n)
    const aliceHistory = await chain.addressHistory(alice.address, 0, 10)
    expect(aliceHistory.map(h => toHex(h.txid))).toEqual([toHex(txid(tx))])
    expect(chain.getTx(txid(tx))?.location.index).toBe(1)
  })

  it('connects a chain of transactions inside one block', async () => {
    const { blocks, tip, coinbases } = mineChain(genesisTip(), regtest.coinbaseMaturity, miner)
    await connectAll(blocks)
    const a = spend([coinbases[0]], [{ address: miner.address, amount: coinbases[0].amount - 10n }])
    const b = spend(outputsOf(a, miner), [{ address: miner.address, amount: coinbases[0].amount - 20n }])
    expect((await chain.processBlock(mineBlock(tip, [a, b], miner, { fees: 20n }))).status).toBe('connected')
    expect(chain.getCoin(txid(a), 0)).toBeUndefined()
    expect(chain.getCoin(txid(b), 0)?.amount).toBe(coinbases[0].amount - 20n)
  })

  it('rejects contextual rule violations with their codes', async () => {
    const { blocks, tip, coinbases } = mineChain(genesisTip(), regtest.coinbaseMaturity, miner)
    await connectAll(blocks)
    const other = newKey()
    const good = spend([coinbases[0]], [{ address: other.address, amount: 5000n }])
    expect(await rejectCode(mineBlock(tip, [good], miner, { coinbaseAmount: regtest.initialReward + coinbases[0].amount }))).toBe('cb-amount-too-large')
    expect(await rejectCode(mineBlock(tip, [], miner, { header: { bits: 0x207ffffe } }))).toBe('header-bad-diffbits')
    expect(await rejectCode(mineBlock(tip, [], miner, { time: regtest.genesis.header.time }))).toBe('header-time-too-old')
    const future = await rejectCode(mineBlock(tip, [], miner, { time: Math.floor(Date.now() / 1000) + regtest.maxFutureBlockTime + 600 }))
    expect(future).toBe('header-time-too-new')
    // the last coinbase is not mature yet
    expect(await rejectCode(mineBlock(tip, [spend([coinbases[coinbases.length - 1]], [{ address: other.address, amount: 1n }])], miner))).toBe('tx-premature-coinbase-spend')
    // signed by a key that does not own the coin
    const stolen = spend([{ ...coinbases[0], key: other }], [{ address: other.address, amount: 1n }])
    expect(await rejectCode(mineBlock(tip, [stolen], miner))).toBe('tx-pubkey-mismatch')
    // signature over different content
    const forged = { ...good, outputs: [{ address: other.address, amount: 6000n }] }
    expect(await rejectCode(mineBlock(tip, [forged], miner))).toBe('tx-bad-signature')
    expect(await rejectCode(mineBlock(tip, [spend([{ ...coinbases[0], index: 7 }], [{ address: other.address, amount: 1n }])], miner))).toBe('tx-missing-inputs')
    const overspend = spend([coinbases[0]], [{ address: other.address, amount: coinbases[0].amount + 1n }])
    expect(await rejectCode(mineBlock(tip, [overspend], miner))).toBe('tx-insufficient-input')
    const locked = spend([coinbases[0]], [{ address: other.address, amount: 1n }], regtest, tip.height + 5)
    expect(await rejectCode(mineBlock(tip, [locked], miner))).toBe('tx-not-final')
    const twice = spend([coinbases[0]], [{ address: other.address, amount: 2n }])
    expect(await rejectCode(mineBlock(tip, [good, twice], miner))).toBe('tx-missing-inputs')
    // a coinbase claiming another height
    const wrongHeight = mineBlock({ ...tip, height: tip.height + 3 }, [], miner)
    expect(await rejectCode(wrongHeight)).toBe('cb-bad-height')
    expect(chain.height).toBe(tip.height)
    expect(await rejectCode(mineBlock(tip, [good], miner))).toBe('accepted')
  })
})

describe('chain: fork choice and reorganisation', () => {
  it('keeps a lighter branch on the side and switches when it becomes heavier', async () => {
    const main = mineChain(genesisTip(), 3, miner, 1)
    await connectAll(main.blocks)
    const side = mineChain(genesisTip(), 4, miner, 2)
    const events: string[] = []
    chain.on('reorg', r => events.push(`reorg ${r.disconnected} from ${r.from.height} to ${r.to.height}`))
    for (let i = 0; i < 3; i++) expect((await chain.processBlock(side.blocks[i])).status).toBe('side')
    expect(chain.tip.hashHex).toBe(blockHashHex(main.blocks[2].header))
    expect((await chain.processBlock(side.blocks[3])).status).toBe('connected')
    expect(chain.tip.hashHex).toBe(blockHashHex(side.blocks[3].header))
    expect(events).toEqual(['reorg 3 from 3 to 4'])
    // the losing branch's coins are gone, the winner's are there
    expect(chain.getCoin(txid(main.blocks[0].transactions[0]), 0)).toBeUndefined()
    expect(chain.getCoin(txid(side.blocks[0].transactions[0]), 0)).toBeDefined()
    expect(chain.getTxLocation(txid(main.blocks[1].transactions[0]))).toBeUndefined()
  })

  it('survives a 20-block reorg, and a double spend on the losing branch is undone', async () => {
    const base = mineChain(genesisTip(), regtest.coinbaseMaturity + 1, miner)
    await connectAll(base.blocks)
    const alice = newKey()
    const bob = newKey()
    const coin = base.coinbases[0]
    const toAlice = spend([coin], [{ address: alice.address, amount: coin.amount - 10n }])
    const toBob = spend([coin], [{ address: bob.address, amount: coin.amount - 10n }])
    const losing = [mineBlock(base.tip, [toAlice], miner, { fees: 10n, tag: 1 })]
    let t = tipOf(losing[0], base.tip.height + 1)
    const rest = mineChain(t, 19, miner, 1)
    losing.push(...rest.blocks)
    await connectAll(losing)
    expect(chain.height).toBe(base.tip.height + 20)
    expect(chain.getCoin(txid(toAlice), 0)).toBeDefined()

    const winning = [mineBlock(base.tip, [toBob], miner, { fees: 10n, tag: 2 })]
    t = tipOf(winning[0], base.tip.height + 1)
    winning.push(...mineChain(t, 20, miner, 2).blocks)
    const disconnected: Block[] = []
    chain.on('disconnect', b => disconnected.push(b))
    await connectAll(winning)
    expect(chain.height).toBe(base.tip.height + 21)
    expect(disconnected).toHaveLength(20)
    expect(chain.getCoin(txid(toAlice), 0)).toBeUndefined()
    expect(chain.getCoin(txid(toBob), 0)?.amount).toBe(coin.amount - 10n)
    expect(chain.getTxLocation(txid(toAlice))).toBeUndefined()
    expect(await chain.addressHistory(alice.address, 0, 10)).toEqual([])
  })

  it('falls back to the best valid chain when a heavier branch has an invalid block deep inside', async () => {
    const base = mineChain(genesisTip(), regtest.coinbaseMaturity + 1, miner)
    await connectAll(base.blocks)
    const main = mineChain(base.tip, 3, miner, 1)
    await connectAll(main.blocks)
    const mainTip = chain.tip.hashHex

    // heavier branch: 2 good blocks, then one with an overpaying coinbase, then 3 more
    const good = mineChain(base.tip, 2, miner, 2)
    const bad = mineBlock(good.tip, [], miner, { tag: 2, coinbaseAmount: regtest.initialReward * 2n })
    const after = mineChain(tipOf(bad, good.tip.height + 1), 3, miner, 2)
    await connectAll(good.blocks)
    await expect(chain.processBlock(bad)).resolves.toBeDefined() // less work than main: stored as side block
    const codes: string[] = []
    for (const b of after.blocks) codes.push(await rejectCode(b))
    // the first block after makes the branch heavier; connecting the branch finds the bad block
    expect(codes).toEqual(['block-invalid-parent', 'block-invalid-parent', 'block-invalid-parent'])
    expect(await rejectCode(bad)).toBe('block-known-invalid')
    expect(chain.tip.hashHex).toBe(mainTip)
    expect(chain.getEntry(blockHashHex(bad.header))).toBeDefined()
    expect(await rejectCode(mineBlock(tipOf(after.blocks[2], after.tip.height), [], miner, { tag: 2 }))).toMatch(/invalid/)
    // the main chain keeps growing
    expect((await chain.processBlock(mineBlock(tipOf(main.blocks[2], main.tip.height), [], miner, { tag: 1 }))).status).toBe('connected')
  })
})

describe('chain: orphans', () => {
  it('holds blocks whose parent is unknown and connects them in any arrival order', async () => {
    const { blocks } = mineChain(genesisTip(), 8, miner)
    const order = [7, 3, 5, 1, 6, 2, 4, 0]
    let lastOrphan
    for (const i of order.slice(0, -1)) {
      const r = await chain.processBlock(blocks[i])
      expect(r.status).toBe('orphan')
      lastOrphan = r
    }
    expect(toHex(lastOrphan!.missing!)).toBe(blockHashHex(blocks[0].header))
    expect(chain.orphans.missingParents().map(toHex)).toEqual([blockHashHex(blocks[0].header)])
    await chain.processBlock(blocks[0])
    expect(chain.height).toBe(8)
    expect(chain.orphans.size).toBe(0)
  })

  it('bounds the orphan pool', async () => {
    const small = await (async () => { await chain.close(); return await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier(), maxOrphans: 3 }) })()
    chain = small
    const { blocks } = mineChain(genesisTip(), 6, miner)
    for (const b of blocks.slice(1)) await chain.processBlock(b)
    expect(chain.orphans.size).toBe(3)
  })
})

describe('chain: headers first', () => {
  it('accepts headers, then blocks in any order, and reports what is missing', async () => {
    const { blocks } = mineChain(genesisTip(), 6, miner)
    const added = await chain.processHeaders(blocks.map(b => b.header))
    expect(added).toHaveLength(6)
    expect(chain.bestHeader().height).toBe(6)
    expect(chain.missingBlocks(100).map(e => e.height)).toEqual([1, 2, 3, 4, 5, 6])
    for (const i of [2, 5, 1, 4]) await chain.processBlock(blocks[i])
    expect(chain.height).toBe(0)
    await chain.processBlock(blocks[0])
    expect(chain.height).toBe(3)
    expect(chain.missingBlocks(100).map(e => e.height)).toEqual([4])
    await chain.processBlock(blocks[3])
    expect(chain.height).toBe(6)
    const tamperedHeader = { ...blocks[5].header, nonce: blocks[5].header.nonce + 1 }
    await expect(chain.processHeaders([{ ...mineChain(tipOf(blocks[5], 6), 1, miner).blocks[0].header, bits: 0x207ffffe }])).rejects.toThrow(/bits|target/)
    expect(tamperedHeader).toBeDefined()
  })

  it('serves headers after a locator', async () => {
    const { blocks } = mineChain(genesisTip(), 30, miner)
    await connectAll(blocks)
    const locator = chain.locator()
    expect(toHex(locator[0])).toBe(chain.tip.hashHex)
    expect(toHex(locator[locator.length - 1])).toBe(regtest.genesisHash)
    expect(chain.headersAfter([blocks[9].header.prevHash], 5).map(h => h.time)).toEqual(blocks.slice(9, 14).map(b => b.header.time))
    expect(chain.headersAfter([new Uint8Array(32)], 2000)).toHaveLength(31)
  })
})

describe('chain: persistence', () => {
  it('reopens to the same tip, coins and side branches without revalidating', async () => {
    const main = mineChain(genesisTip(), 5, miner, 1)
    const side = mineChain(genesisTip(), 2, miner, 2)
    await connectAll([...main.blocks, ...side.blocks])
    const tip = chain.tip.hashHex
    await chain.close()
    chain = await open()
    expect(chain.tip.hashHex).toBe(tip)
    expect(chain.height).toBe(5)
    expect(chain.index.size).toBe(8)
    expect(chain.getCoin(txid(main.blocks[4].transactions[0]), 0)).toBeDefined()
    // the side branch can still win after a restart
    await connectAll(mineChain(tipOf(side.blocks[1], 2), 4, miner, 2).blocks)
    expect(chain.height).toBe(6)
  })

  it('refuses a data directory of another network', async () => {
    await chain.close()
    const { devnet } = await import('../../src/core/params.js')
    await expect(Chain.open({ location: dir.path, params: devnet, verifier: new NobleVerifier() })).rejects.toThrow(/another network/)
    chain = await open()
  })
})

describe('orphan pool bytes', () => {
  it('evicts the oldest orphans to stay under its byte cap', async () => {
    const { OrphanPool } = await import('../../src/chain/orphans.js')
    const { blockSize } = await import('../../src/core/validate.js')
    const { blocks } = mineChain(genesisTip(), 6, newKey())
    const pool = new OrphanPool(100, blockSize(blocks[0]) * 3 + 10)
    for (const b of blocks.slice(1)) pool.add(b)
    expect(pool.size).toBe(3)
    expect(pool.bytes).toBeLessThanOrEqual(blockSize(blocks[0]) * 3 + 10)
    expect(pool.has(blockHashHex(blocks[5].header))).toBe(true)
    expect(pool.has(blockHashHex(blocks[1].header))).toBe(false)
  })
})
