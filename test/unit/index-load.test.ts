// Opening a block index (issue 12.5, the miner's restart): the records are
// decoded and linked without a hex key or a hex-parsed bigint per record.
// What must not change: every entry gets the parent it had, records that do
// not lead back to genesis are dropped, and a long chain with side branches
// and an invalid mark reopens with the same tip, work and statuses.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { BlockIndex, type IndexEntry, isInvalid } from '../../src/chain/block-index.js'
import { Chain } from '../../src/chain/chain.js'
import { blockHashHex } from '../../src/core/block.js'
import { bytesToBigInt, hexOf, toHex } from '../../src/core/bytes.js'
import { regtest } from '../../src/core/params.js'
import type { BlockHeader } from '../../src/core/types.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { genesisTip, mineBlock, mineChain, newKey, tempDir, tipOf } from '../../bench/support/chain-fixtures.js'

const miner = newKey()

function header (prev: Uint8Array, tag: number): BlockHeader {
  return { version: 1, prevHash: prev, merkleRoot: new Uint8Array(32).fill(tag & 0xff), time: 1000 + tag, bits: 0x207fffff, nonce: tag }
}

/** A copy of an entry as load() restores it: no parent yet, the height its record says. */
function restored (e: IndexEntry, height = e.height): IndexEntry {
  return { ...e, height, parent: undefined }
}

describe('BlockIndex.linkAndPrune', () => {
  it('links a main chain, side branches and many branches at one height, and drops what does not lead to genesis', () => {
    const built = new BlockIndex()
    const genesis = built.add(regtest.genesis.header, undefined, 1)
    const main: IndexEntry[] = [genesis]
    for (let i = 1; i <= 30; i++) main.push(built.add(header(main[i - 1].hash, i), main[i - 1], 1))
    // a side branch of 3 from height 10
    const side: IndexEntry[] = [main[10]]
    for (let i = 1; i <= 3; i++) side.push(built.add(header(side[i - 1].hash, 1000 + i), side[i - 1], 1))
    // 12 branches at height 21 (more than the linear search takes), each with a child
    const fan = Array.from({ length: 12 }, (_, i) => built.add(header(main[20].hash, 2000 + i), main[20], 1))
    const fanChildren = fan.map((f, i) => built.add(header(f.hash, 3000 + i), f, 1))
    // records that must go: a parent never stored, a child of it, and one whose record claims the wrong height
    const missing = BlockIndex.create(header(main[5].hash, 4000), main[5], 1)
    const orphan = BlockIndex.create(header(missing.hash, 4001), missing, 1)
    const orphanChild = BlockIndex.create(header(orphan.hash, 4002), orphan, 1)
    const wrongHeight = BlockIndex.create(header(main[7].hash, 4003), main[7], 1)

    const kept = [...main, ...side.slice(1), ...fan, ...fanChildren]
    const records = [...kept.map(e => restored(e)), restored(orphan), restored(orphanChild), restored(wrongHeight, 12)]
    // records come back from the database in key (hash) order: any order
    records.sort((a, b) => a.hashHex.localeCompare(b.hashHex))
    const index = new BlockIndex()
    for (const r of records) index.restore(r)

    const removed = index.linkAndPrune(regtest.genesisHash)

    expect(removed.map(e => e.hashHex).sort()).toEqual([orphan, orphanChild, wrongHeight].map(e => e.hashHex).sort())
    expect(index.size).toBe(kept.length)
    for (const e of kept) {
      const got = index.get(e.hashHex) as IndexEntry
      expect(got.parent?.hashHex).toBe(e.parent?.hashHex)
      if (e.parent !== undefined) expect(got.parent).toBe(index.get(e.parent.hashHex)) // the restored object, not the original
    }
  })

  it('drops everything when the height-0 record is not this network\'s genesis', () => {
    const built = new BlockIndex()
    const fake = built.add(header(new Uint8Array(32), 1), undefined, 1)
    const child = built.add(header(fake.hash, 2), fake, 1)
    const index = new BlockIndex()
    index.restore(restored(child))
    index.restore(restored(fake))
    expect(index.linkAndPrune(regtest.genesisHash).map(e => e.height)).toEqual([0, 1])
    expect(index.size).toBe(0)
  })
})

describe('bytesToBigInt and hexOf', () => {
  it('reads every length and range as the hex parse did, on both sides of 2^53', () => {
    const reference = (b: Uint8Array): bigint => b.length === 0 ? 0n : BigInt('0x' + toHex(b))
    const cases: Uint8Array[] = [new Uint8Array(0), new Uint8Array(32)]
    for (const n of [0n, 1n, 255n, 2n ** 52n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 56n - 1n, 2n ** 64n - 1n, 2n ** 255n]) {
      const hex = n.toString(16).padStart(64, '0')
      cases.push(Uint8Array.from(Buffer.from(hex, 'hex')))
    }
    for (let i = 0; i < 300; i++) {
      const b = randomBytes(1 + (i % 33))
      // zero a random number of leading bytes: small values in long fields, as cumulative work is stored
      b.fill(0, 0, i % (b.length + 1))
      cases.push(new Uint8Array(b))
    }
    for (const b of cases) {
      expect(bytesToBigInt(b)).toBe(reference(b))
      const padded = new Uint8Array(b.length + 5)
      padded.set(b, 3)
      expect(bytesToBigInt(padded, 3, 3 + b.length)).toBe(reference(b))
      expect(bytesToBigInt(Buffer.from(padded), 3, 3 + b.length)).toBe(reference(b))
      expect(hexOf(padded, 3, 3 + b.length)).toBe(toHex(b))
      expect(hexOf(Buffer.from(padded), 3, 3 + b.length)).toBe(toHex(b))
    }
  })
})

describe('a chain reopened', () => {
  let dir: ReturnType<typeof tempDir>
  let chain: Chain
  const open = async (): Promise<Chain> => await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })

  beforeEach(async () => {
    dir = tempDir()
    chain = await open()
  })

  afterEach(async () => {
    await chain.close()
    dir.remove()
  })

  it('has every entry with the same parent, work and status, a lost reorg and an invalid mark included', async () => {
    const base = mineChain(genesisTip(), regtest.coinbaseMaturity + 150, miner)
    for (const b of base.blocks) await chain.processBlock(b)
    const main = mineChain(base.tip, 3, miner, 1)
    for (const b of main.blocks) await chain.processBlock(b)
    // a heavier branch with an invalid block inside: the chain tries it and falls back
    const good = mineChain(base.tip, 2, miner, 2)
    const bad = mineBlock(good.tip, [], miner, { tag: 2, coinbaseAmount: regtest.initialReward * 2n })
    const after = mineChain(tipOf(bad, good.tip.height + 1), 3, miner, 2)
    for (const b of [...good.blocks, bad, ...after.blocks]) await chain.processBlock(b).catch(() => {})
    const before = new Map([...chain.index.entries()].map(e => [e.hashHex, { parent: e.parent?.hashHex, height: e.height, work: e.work, status: e.status }]))
    const tip = chain.tip.hashHex
    expect(isInvalid(chain.getEntry(blockHashHex(bad.header)) as IndexEntry)).toBe(true)
    await chain.close()

    chain = await open()
    expect(chain.repairedOnLoad).toBe(0)
    expect(chain.tip.hashHex).toBe(tip)
    const now = new Map([...chain.index.entries()].map(e => [e.hashHex, { parent: e.parent?.hashHex, height: e.height, work: e.work, status: e.status }]))
    expect(now).toEqual(before)
    expect(isInvalid(chain.getEntry(blockHashHex(bad.header)) as IndexEntry)).toBe(true)
    for (let h = 1; h <= chain.height; h++) expect(chain.index.active[h].parent).toBe(chain.index.active[h - 1])
    // the main chain goes on from where it was
    expect((await chain.processBlock(mineBlock(tipOf(main.blocks[2], main.tip.height), [], miner, { tag: 1 }))).status).toBe('connected')
  })
})
