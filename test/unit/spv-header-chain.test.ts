import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { blockHash, blockHashHex } from '../../src/core/block.js'
import { ValidationError } from '../../src/core/errors.js'
import { devnet, regtest, type NetworkParams } from '../../src/core/params.js'
import { bitsToTarget, hashMeetsTarget, retarget } from '../../src/core/pow.js'
import type { BlockHeader } from '../../src/core/types.js'
import { HeaderChain, type ReorgInfo } from '../../src/spv/header-chain.js'
import { genesisTip, mineBlock, mineChain, newKey, tempDir, tipOf, type Tip } from '../../bench/support/chain-fixtures.js'

let dir: ReturnType<typeof tempDir>
let chain: HeaderChain
const key = newKey()
const NOW = regtest.genesis.header.time + 100_000

async function open (params: NetworkParams = regtest): Promise<HeaderChain> {
  return await HeaderChain.open({ location: dir.path, params, now: () => NOW })
}

async function failure (headers: BlockHeader[], c = chain): Promise<ValidationError> {
  try {
    await c.processHeaders(headers)
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    return err as ValidationError
  }
  throw new Error('expected a ValidationError')
}

function headersOf (parent: Tip, count: number, tag = 0, p: NetworkParams = regtest): { headers: BlockHeader[], tip: Tip } {
  const { blocks, tip } = mineChain(parent, count, key, tag, p)
  return { headers: blocks.map(b => b.header), tip }
}

/** A nonce whose hash misses the target (half of all nonces do at regtest's limit). */
function withBadPow (header: BlockHeader): BlockHeader {
  const target = bitsToTarget(header.bits)!
  for (let nonce = 0; ; nonce++) {
    const h = { ...header, nonce }
    if (!hashMeetsTarget(blockHash(h), target)) return h
  }
}

beforeEach(async () => {
  dir = tempDir()
  chain = await open()
})

afterEach(async () => {
  await chain.close()
  dir.remove()
})

describe('header chain: validation', () => {
  it('starts at the network genesis and accepts a run of valid headers', async () => {
    expect(chain.height).toBe(0)
    expect(chain.tip.hashHex).toBe(regtest.genesisHash)
    const { headers, tip } = headersOf(genesisTip(), 10)
    const r = await chain.processHeaders(headers)
    expect(r.added).toHaveLength(10)
    expect(r.tipChanged).toBe(true)
    expect(chain.height).toBe(10)
    expect(chain.tip.hashHex).toBe(Buffer.from(tip.hash).toString('hex'))
    // known headers are skipped, not an error
    expect((await chain.processHeaders(headers)).added).toHaveLength(0)
  })

  it('rejects a header whose hash misses its target, and its descendants', async () => {
    const { headers } = headersOf(genesisTip(), 3)
    const bad = withBadPow(headers[0])
    const err = await failure([bad])
    expect(err.code).toBe('header-bad-pow')
    expect(err.severity).toBe('reject')
    const child = mineBlock(tipOf({ header: bad, transactions: [] }, 1), [], key).header
    expect((await failure([child])).code).toBe('header-invalid-parent')
    expect((await failure([bad])).code).toBe('header-known-invalid')
    expect(chain.height).toBe(0)
  })

  it('rejects bits easier than the network limit and bits that break the difficulty rule', async () => {
    // regtest's limit is the easiest target there is; devnet's is not
    const devDir = tempDir()
    const dev = await HeaderChain.open({ location: devDir.path, params: devnet, now: () => devnet.genesis.header.time + 1000 })
    try {
      const easy = mineBlock(genesisTip(devnet), [], key, { p: devnet, header: { bits: 0x207fffff } }).header
      expect((await failure([easy], dev)).code).toBe('header-bits-above-limit')
    } finally {
      await dev.close()
      devDir.remove()
    }
    // on regtest (no retarget) every header carries its parent's bits
    const harder = mineBlock(genesisTip(), [], key, { header: { bits: 0x1f7fffff } }).header
    expect((await failure([harder])).code).toBe('header-bad-diffbits')
  })

  it('applies the retarget rule at interval boundaries', async () => {
    // regtest with retargeting on: every 4 blocks, toward 10 s a block
    const p: NetworkParams = { ...regtest, noRetarget: false, retargetInterval: 4, targetBlockTime: 10 }
    await chain.close()
    chain = await open(p)
    let tip = genesisTip(p)
    const headers: BlockHeader[] = []
    for (let h = 1; h <= 3; h++) {
      const b = mineBlock(tip, [], key, { p, time: tip.time + 1 })
      headers.push(b.header)
      tip = tipOf(b, h)
    }
    await chain.processHeaders(headers)
    // blocks came 10x too fast: height 4 must carry a harder target (clamped to 4x)
    const expected = retarget(p.powLimitBits, 3, p)
    expect(expected).not.toBe(p.powLimitBits)
    const unchanged = mineBlock(tip, [], key, { p, time: tip.time + 1 }).header
    expect((await failure([unchanged])).code).toBe('header-bad-diffbits')
    const retargeted = mineBlock(tip, [], key, { p, time: tip.time + 1, header: { bits: expected } }).header
    await chain.processHeaders([retargeted])
    expect(chain.height).toBe(4)
    expect(chain.tip.header.bits).toBe(expected)
  })

  it('rejects a time not after the median time past and ignores one too far ahead', async () => {
    const { headers, tip } = headersOf(genesisTip(), 11)
    await chain.processHeaders(headers)
    // the median of the last 11 times is the 6th of them
    const median = headers[5].time
    const old = mineBlock(tip, [], key, { time: median }).header
    const err = await failure([old])
    expect(err.code).toBe('header-time-too-old')
    expect(err.severity).toBe('reject')
    const future = mineBlock(tip, [], key, { time: NOW + regtest.maxFutureBlockTime + 1 }).header
    const late = await failure([future])
    expect(late.code).toBe('header-time-too-new')
    expect(late.severity).toBe('ignore')
    // not remembered as invalid: it becomes acceptable when the clock catches up
    const laterDir = tempDir()
    const later = await HeaderChain.open({ location: laterDir.path, params: regtest, now: () => NOW + 10_000 })
    try {
      await later.processHeaders([...headers, future])
      expect(later.height).toBe(12)
    } finally {
      await later.close()
      laterDir.remove()
    }
  })

  it('ignores headers that do not connect, and keeps the valid part of a batch', async () => {
    const { headers } = headersOf(genesisTip(), 5)
    const orphan = await failure(headers.slice(2))
    expect(orphan.code).toBe('header-orphan')
    expect(orphan.severity).toBe('ignore')
    const broken = [...headers.slice(0, 3), withBadPow(headers[3])]
    expect((await failure(broken)).code).toBe('header-bad-pow')
    expect(chain.height).toBe(3)
    expect(chain.tip.hashHex).toBe(blockHashHex(headers[2]))
  })
})

describe('header chain: fork choice', () => {
  it('follows the branch with the most work and reports the reorg', async () => {
    const a = headersOf(genesisTip(), 3, 1)
    await chain.processHeaders(a.headers)
    const reorgs: ReorgInfo[] = []
    chain.on('reorg', r => reorgs.push(r))
    // an equally long branch does not move the tip (first seen wins)
    const b = headersOf(genesisTip(), 3, 2)
    expect((await chain.processHeaders(b.headers)).tipChanged).toBe(false)
    expect(chain.tip.hashHex).toBe(blockHashHex(a.headers[2]))
    // one more block makes it heavier
    const b4 = mineBlock(b.tip, [], key, { tag: 2 }).header
    expect((await chain.processHeaders([b4])).tipChanged).toBe(true)
    expect(chain.tip.hashHex).toBe(blockHashHex(b4))
    expect(reorgs).toHaveLength(1)
    expect(reorgs[0].fork.height).toBe(0)
    expect(reorgs[0].disconnected).toBe(3)
    // the old branch is kept, off the active chain
    const oldTip = chain.get(blockHash(a.headers[2]))!
    expect(chain.isActive(oldTip)).toBe(false)
    expect(chain.confirmations(oldTip)).toBe(0)
    expect(chain.entryAt(1)!.hashHex).toBe(blockHashHex(b.headers[0]))
  })

  it('reopens from disk with the tip and the side branches', async () => {
    const a = headersOf(genesisTip(), 4, 1)
    const b = headersOf(genesisTip(), 6, 2)
    await chain.processHeaders(a.headers)
    await chain.processHeaders(b.headers)
    const tip = chain.tip.hashHex
    const size = chain.index.size
    await chain.close()
    chain = await open()
    expect(chain.tip.hashHex).toBe(tip)
    expect(chain.height).toBe(6)
    expect(chain.index.size).toBe(size)
    expect(chain.get(blockHash(a.headers[3]))?.height).toBe(4)
    // it keeps going from where it was
    const next = mineBlock(b.tip, [], key, { tag: 2 }).header
    await chain.processHeaders([next])
    expect(chain.height).toBe(7)
  })

  it('refuses a data directory of another network', async () => {
    await chain.close()
    await expect(HeaderChain.open({ location: dir.path, params: devnet })).rejects.toThrow(/another network/)
    chain = await open()
  })
})
