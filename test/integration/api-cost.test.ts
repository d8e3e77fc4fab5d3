// What one unauthenticated API request costs against a chain of nearly full
// (2 MB) blocks: bytes of block data read, whole-block decodes, bytes of
// JSON answered. Issue 16.8 (block lists with every transaction) and 10.7
// (address history decoding hundreds of blocks). Work bounds are asserted;
// wall-clock times are only printed (benchmarks own speed targets).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApiServer, type ApiServer } from '../../src/api/server.js'
import { toHex } from '../../src/core/bytes.js'
import { regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { FullNode } from '../../src/node/full-node.js'
import { encodeAddress } from '../../src/wallet/address.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tipOf, type Spendable, type Tip } from '../../bench/support/chain-fixtures.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'

const FULL_BLOCKS = 3
const TXS_PER_BLOCK = 20
const OUTPUTS_PER_TX = 2900
const MB = 1024 * 1024

const cleanup = new Cleanup()
const rich = newKey()
const victim = newKey()
const victimAddress = encodeAddress(victim.address, regtest)

/** ~1.8 MB: a chain of 20 transactions, each paying 2,899 outputs to the victim and its change on. */
function fullBlock (parent: Tip, coin: Spendable): { block: Block, txs: Transaction[], change: Spendable } {
  const txs: Transaction[] = []
  let prev = coin
  for (let k = 0; k < TXS_PER_BLOCK; k++) {
    const outputs = Array.from({ length: OUTPUTS_PER_TX - 1 }, () => ({ address: victim.address, amount: 1000n }))
    const change = prev.amount - 1000n * BigInt(outputs.length)
    const tx = spend([prev], [...outputs, { address: rich.address, amount: change }])
    txs.push(tx)
    prev = { txid: txid(tx), index: outputs.length, amount: change, key: rich }
  }
  return { block: mineBlock(parent, txs, rich), txs, change: prev }
}

interface Measured { status: number, bytes: number, blockBytesRead: number, blocksRead: number, wholeBlockDecodes: number, ms: number, json: any }

describe('API cost against full blocks', () => {
  let dataDir: string
  let node: FullNode
  let api: ApiServer
  let fullHashes: string[] = []
  let fullTxs: Transaction[][] = []
  let spendFromVictim: Transaction
  const worst = { bytes: 0, blockBytesRead: 0, path: '', ms: 0 }
  let meter = { blockBytesRead: 0, blocksRead: 0, wholeBlockDecodes: 0 }

  /** Counts block data read from the store and whole-block decodes, whatever code path the API takes. */
  function instrument (n: FullNode): void {
    const chain = n.chain
    const getBlockBytes = chain.getBlockBytes.bind(chain)
    const getBlock = chain.getBlock.bind(chain)
    chain.getBlockBytes = (hash) => {
      const bytes = getBlockBytes(hash)
      if (bytes !== undefined) { meter.blocksRead++; meter.blockBytesRead += bytes.length }
      return bytes
    }
    chain.getBlock = (hash) => {
      meter.wholeBlockDecodes++
      return getBlock(hash)
    }
  }

  async function startApi (n: FullNode): Promise<ApiServer> {
    const server = await startApiServer({ node: n, host: '127.0.0.1', port: 0, cookieFile: `${dataDir}/.cookie`, webDir: '/nonexistent', log: testLogger('api') })
    return server
  }

  async function measure (path: string): Promise<Measured> {
    meter = { blockBytesRead: 0, blocksRead: 0, wholeBlockDecodes: 0 }
    const started = performance.now()
    const res = await fetch(api.url + path)
    const text = await res.text()
    const ms = performance.now() - started
    const m: Measured = { status: res.status, bytes: Buffer.byteLength(text), ...meter, ms, json: JSON.parse(text) }
    if (m.blockBytesRead > worst.blockBytesRead || m.bytes > worst.bytes) Object.assign(worst, { bytes: Math.max(worst.bytes, m.bytes), blockBytesRead: Math.max(worst.blockBytesRead, m.blockBytesRead), path, ms: Math.max(worst.ms, ms) })
    console.log(`GET ${path}: ${m.status}, ${(m.bytes / 1024).toFixed(0)} KiB JSON, ${(m.blockBytesRead / MB).toFixed(1)} MiB block data in ${m.blocksRead} reads, ${m.wholeBlockDecodes} whole-block decodes, ${ms.toFixed(0)} ms`)
    return m
  }

  /** Package limits lifted: the mempool test below holds a chain of six ~80 kB transactions (the view's bound is under test, not policy). */
  const config = (): ReturnType<typeof testConfig> => testConfig('full', dataDir, { mempool: { maxBytes: 64_000_000, maxAncestors: 25, maxAncestorBytes: 1_000_000, maxDescendants: 25, maxDescendantBytes: 1_000_000 } })

  beforeAll(async () => {
    dataDir = cleanup.tempDir()
    node = await FullNode.start(config(), testLogger('full'))
    const { blocks, tip: afterCoinbases, coinbases } = mineChain(genesisTip(), 5, rich)
    for (const b of blocks) await node.chain.processBlock(b)
    let tip = afterCoinbases
    let coin = coinbases[0]
    for (let i = 0; i < FULL_BLOCKS; i++) {
      const { block, txs, change } = fullBlock(tip, coin)
      const r = await node.chain.processBlock(block)
      expect(r.status).toBe('connected')
      fullHashes.push(r.hash)
      fullTxs.push(txs)
      tip = tipOf(block, tip.height + 1)
      coin = change
    }
    // the victim spends two of its coins: history shows a negative delta
    const first = fullTxs[0][0]
    spendFromVictim = spend([0, 1].map(index => ({ txid: txid(first), index, amount: 1000n, key: victim })), [{ address: rich.address, amount: 1500n }])
    const last = mineBlock(tip, [spendFromVictim], rich, { fees: 500n })
    expect((await node.chain.processBlock(last)).status).toBe('connected')
    // a restart: nothing is cached from connecting the blocks
    await node.stop()
    node = await FullNode.start(config(), testLogger('full'))
    cleanup.add(async () => await node.stop())
    instrument(node)
    api = await startApi(node)
    cleanup.add(async () => await api.close())
  }, 180_000)

  afterAll(async () => {
    console.log(`worst request: ${worst.path}: ${(worst.bytes / 1024).toFixed(0)} KiB JSON, ${(worst.blockBytesRead / MB).toFixed(1)} MiB block data, ${worst.ms.toFixed(0)} ms`)
    await cleanup.run()
  })

  it('GET /api/blocks?limit=100 lists summaries: no transactions, a bounded read', async () => {
    const m = await measure('/api/blocks?limit=100')
    expect(m.status).toBe(200)
    // every block listed, newest first, with its size and count (the chain is short enough for one answer)
    expect(m.json.map((b: any) => b.height)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    expect(m.json[1]).toMatchObject({ hash: fullHashes[2], txCount: TXS_PER_BLOCK + 1 })
    expect(m.json[1].size).toBeGreaterThan(1.4 * MB)
    expect(m.json[1]).not.toHaveProperty('transactions')
    expect(m.bytes).toBeLessThan(16 * 1024)
    expect(m.wholeBlockDecodes).toBe(0)
    expect(m.blockBytesRead).toBeLessThanOrEqual(8 * MB + regtest.maxBlockSize)
    // a second time the summaries are known: nothing is read
    const again = await measure('/api/blocks?limit=100')
    expect(again.blockBytesRead).toBe(0)
  })

  it('GET /api/headers reads no block at all', async () => {
    const m = await measure('/api/headers?limit=2000')
    expect(m.status).toBe(200)
    expect(m.json).toHaveLength(10)
    expect(m.blocksRead).toBe(0)
  })

  it('GET /api/blocks/:id of a full block: the header and a first page, one block read', async () => {
    const m = await measure(`/api/blocks/${fullHashes[1]}`)
    expect(m.status).toBe(200)
    expect(m.json.txCount).toBe(TXS_PER_BLOCK + 1)
    expect(m.json.transactions.length).toBeGreaterThan(0)
    expect(m.json.transactions.length).toBeLessThan(TXS_PER_BLOCK + 1)
    expect(m.json.nextTxOffset).toBe(m.json.transactions.length)
    // input amounts and fees come from the block's undo record
    expect(m.json.transactions[1].fee).toBe('0')
    expect(m.blocksRead).toBe(1)
    expect(m.wholeBlockDecodes).toBe(0)
    expect(m.bytes).toBeLessThan(2 * MB)
  })

  it('GET /api/blocks/:id/txs pages through a full block, one block read per page, every tx exactly once', async () => {
    const seen: string[] = []
    let offset: number | undefined = 0
    let pages = 0
    while (offset !== undefined) {
      const m = await measure(`/api/blocks/${fullHashes[2]}/txs?offset=${offset}&limit=100`)
      expect(m.status).toBe(200)
      expect(m.blocksRead).toBe(1)
      expect(m.wholeBlockDecodes).toBe(0)
      expect(m.bytes).toBeLessThan(2 * MB)
      seen.push(...m.json.transactions.map((t: any) => t.txid))
      offset = m.json.nextOffset
      pages++
    }
    expect(pages).toBeGreaterThan(1)
    const block = node.chain.getEntry(fullHashes[2])!
    expect(seen.slice(1)).toEqual(fullTxs[2].map(tx => toHex(txid(tx))))
    expect(seen).toHaveLength(TXS_PER_BLOCK + 1)
    expect(block.height).toBe(8)
  })

  it('GET /api/tx/:txid reads one block and shows the spent amounts', async () => {
    const id = toHex(txid(fullTxs[0][5]))
    const m = await measure(`/api/tx/${id}`)
    expect(m.status).toBe(200)
    expect(m.json.inputs[0].amount).toBeDefined()
    expect(m.json.fee).toBe('0')
    expect(m.blocksRead).toBe(1)
    expect(m.wholeBlockDecodes).toBe(0)
  })

  it('GET /api/address/:a pages the history through the index: cost follows the answer', async () => {
    const all: any[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const m = await measure(`/api/address/${victimAddress}?limit=25${cursor === undefined ? '' : `&cursor=${cursor}`}`)
      expect(m.status).toBe(200)
      expect(m.json.transactions.length).toBeLessThanOrEqual(25)
      // at most one read per distinct block of the page, within the read budget
      const blocksInPage = new Set(m.json.transactions.map((t: any) => t.height)).size
      expect(m.blocksRead).toBeLessThanOrEqual(blocksInPage)
      expect(m.wholeBlockDecodes).toBe(0)
      all.push(...m.json.transactions)
      cursor = m.json.next
      pages++
    } while (cursor !== undefined)
    expect(pages).toBeGreaterThan(1)
    // every entry once, newest first: the spend, then 60 payments
    expect(all).toHaveLength(FULL_BLOCKS * TXS_PER_BLOCK + 1)
    expect(new Set(all.map(t => t.txid)).size).toBe(all.length)
    expect(all[0]).toMatchObject({ txid: toHex(txid(spendFromVictim)), delta: '-2000', height: 9 })
    expect(all[1].delta).toBe(String(1000 * (OUTPUTS_PER_TX - 1)))
    const heights = all.map(t => t.height)
    expect(heights).toEqual([...heights].sort((a, b) => b - a))
  })

  it('GET /api/mempool views the newest transactions up to a byte bound, not a whole 32 MB pool', async () => {
    // six ~80 kB unconfirmed transactions, each spending the change of the one before
    const coin = fullTxs[2][TXS_PER_BLOCK - 1]
    let prev: Spendable = { txid: txid(coin), index: OUTPUTS_PER_TX - 1, amount: coin.outputs[OUTPUTS_PER_TX - 1].amount, key: rich }
    for (let k = 0; k < 6; k++) {
      const outputs = Array.from({ length: OUTPUTS_PER_TX - 1 }, () => ({ address: victim.address, amount: 1000n }))
      const change = prev.amount - 1000n * BigInt(outputs.length) - 200_000n
      const tx = spend([prev], [...outputs, { address: rich.address, amount: change }])
      await node.pool.accept(tx)
      prev = { txid: txid(tx), index: outputs.length, amount: change, key: rich }
    }
    expect(node.pool.size).toBe(6)
    const m = await measure('/api/mempool')
    expect(m.status).toBe(200)
    expect(m.json.length).toBeGreaterThan(0)
    expect(m.json.length).toBeLessThan(6)
    expect(m.bytes).toBeLessThan(2 * MB)
    expect(m.wholeBlockDecodes).toBe(0)
  })

  it('the worst request of all of the above stays within its bounds', () => {
    expect(worst.blockBytesRead).toBeLessThanOrEqual(8 * MB + regtest.maxBlockSize)
    expect(worst.bytes).toBeLessThan(2 * MB)
  })
})
