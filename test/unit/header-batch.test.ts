// Issue 10.2: a header batch that fails part-way must leave storage
// consistent. The valid prefix is committed (written, then indexed), the
// failing header refused, and a data dir damaged by an older version opens
// with the orphaned records dropped.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ClassicLevel } from 'classic-level'
import { Chain } from '../../src/chain/chain.js'
import { encodeIndexRecord } from '../../src/chain/records.js'
import { key, Prefix } from '../../src/chain/store.js'
import { blockHash, blockHashHex } from '../../src/core/block.js'
import { ValidationError } from '../../src/core/errors.js'
import { regtest } from '../../src/core/params.js'
import type { Block } from '../../src/core/types.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { HeaderChain } from '../../src/spv/header-chain.js'
import { genesisTip, mineBlock, mineChain, newKey, tempDir, tipOf } from '../../bench/support/chain-fixtures.js'

let dir: ReturnType<typeof tempDir>
let chain: Chain
const NOW = regtest.genesis.header.time + 1000
const miner = newKey()

async function open (): Promise<Chain> {
  return await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier(), now: () => NOW, log: { warn: () => {} } })
}

beforeEach(async () => {
  dir = tempDir()
  chain = await open()
})

afterEach(async () => {
  await chain.close()
  dir.remove()
})

/** Five blocks whose third has a time too far ahead of the node's clock (an honest miner with a fast clock). */
function batchWithFutureHeader (): Block[] {
  const first = mineChain(genesisTip(), 2, miner).blocks
  const future = mineBlock(tipOf(first[1], 2), [], miner, { time: NOW + regtest.maxFutureBlockTime + 60 })
  const rest = mineChain(tipOf(future, 3), 2, miner).blocks
  return [...first, future, ...rest]
}

describe('a header batch that fails part-way', () => {
  it('commits the valid prefix, refuses the failing header, and the data dir reopens after its blocks arrive', async () => {
    const blocks = batchWithFutureHeader()
    const err = await chain.processHeaders(blocks.map(b => b.header)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).code).toBe('header-time-too-new')
    // the prefix is indexed, the failing header and its descendants are not
    expect(chain.bestHeader().height).toBe(2)
    expect(chain.getEntry(blockHashHex(blocks[2].header))).toBeUndefined()
    // the second block arrives before the first (parallel download)
    await chain.processBlock(blocks[1])
    expect(chain.height).toBe(0)
    await chain.close()
    // the old code stored block 2's record without block 1's, and reopening failed
    chain = await open()
    expect(chain.repairedOnLoad).toBe(0)
    expect(chain.bestHeader().height).toBe(2)
    await chain.processBlock(blocks[0])
    expect(chain.height).toBe(2)
    expect(chain.tip.hashHex).toBe(blockHashHex(blocks[1].header))
  })

  it('never indexes in memory what is not stored: a header batch is written before it is indexed', async () => {
    const { blocks } = mineChain(genesisTip(), 3, miner)
    const added = await chain.processHeaders(blocks.map(b => b.header))
    expect(added.map(e => e.height)).toEqual([1, 2, 3])
    await chain.close()
    chain = await open()
    expect(chain.bestHeader().height).toBe(3)
    expect(chain.index.size).toBe(4)
  })

  it('load() drops index records that do not link to genesis and still opens', async () => {
    const { blocks } = mineChain(genesisTip(), 4, miner)
    for (const b of blocks.slice(0, 2)) await chain.processBlock(b)
    await chain.close()
    // what an older version left behind: records for blocks 4 and 5 without block 3's
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dir.path, { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    const orphanA = blocks[3]
    const orphanB = mineBlock(tipOf(orphanA, 4), [], miner)
    await db.put(key(Prefix.index, blockHash(orphanA.header)), encodeIndexRecord({ header: orphanA.header, height: 4, work: 10n, status: 1 }))
    await db.put(key(Prefix.index, blockHash(orphanB.header)), encodeIndexRecord({ header: orphanB.header, height: 5, work: 12n, status: 1 }))
    await db.close()

    const warnings: string[] = []
    chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier(), now: () => NOW, log: { warn: msg => warnings.push(msg) } })
    expect(chain.repairedOnLoad).toBe(2)
    expect(warnings.join()).toMatch(/dropped records not linked to genesis/)
    expect(chain.height).toBe(2)
    expect(chain.getEntry(blockHashHex(orphanA.header))).toBeUndefined()
    // the chain goes on normally, and the dropped records are gone for good
    await chain.processBlock(blocks[2])
    await chain.processBlock(orphanA)
    expect(chain.height).toBe(4)
    await chain.close()
    chain = await open()
    expect(chain.repairedOnLoad).toBe(0)
    expect(chain.height).toBe(4)
  })

  it('the light client\'s header chain repairs the same way', async () => {
    await chain.close()
    const hdir = tempDir()
    try {
      let headers = await HeaderChain.open({ location: hdir.path, params: regtest, now: () => NOW, log: { warn: () => {} } })
      const { blocks } = mineChain(genesisTip(), 4, miner)
      await headers.processHeaders(blocks.slice(0, 2).map(b => b.header))
      await headers.close()
      const db = new ClassicLevel<Uint8Array, Uint8Array>(hdir.path, { keyEncoding: 'view', valueEncoding: 'view' })
      await db.open()
      await db.put(key(Prefix.index, blockHash(blocks[3].header)), encodeIndexRecord({ header: blocks[3].header, height: 4, work: 10n, status: 0 }))
      await db.close()
      headers = await HeaderChain.open({ location: hdir.path, params: regtest, now: () => NOW, log: { warn: () => {} } })
      expect(headers.repairedOnLoad).toBe(1)
      expect(headers.height).toBe(2)
      await headers.processHeaders(blocks.slice(2).map(b => b.header))
      expect(headers.height).toBe(4)
      await headers.close()
    } finally {
      hdir.remove()
      chain = await open()
    }
  })
})
