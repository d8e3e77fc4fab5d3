// The timewarp attack (issue 10.4) against both header validators: the full
// chain and the SPV header chain share checkHeaderContext, and the miner's
// template must keep honest blocks valid under the rule.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Chain } from '../../src/chain/chain.js'
import { blockHash, blockHashHex } from '../../src/core/block.js'
import { expectedBits, maxTimewarp, medianTimePast, type AncestorLookup } from '../../src/core/contextual.js'
import { ValidationError } from '../../src/core/errors.js'
import { buildGenesis } from '../../src/core/genesis.js'
import { devnet, regtest, testnet, type NetworkParams } from '../../src/core/params.js'
import { bitsToTarget } from '../../src/core/pow.js'
import type { BlockHeader } from '../../src/core/types.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { buildTemplate } from '../../src/miner/template.js'
import { HeaderChain } from '../../src/spv/header-chain.js'
import { genesisTip, mineBlock, newKey, tempDir, tipOf, type Tip } from '../../bench/support/chain-fixtures.js'
import { solve } from '../../bench/support/core-fixtures.js'

const INTERVAL = 8
const BLOCK_TIME = 10

/**
 * A test-only network (no config file can select it): regtest's trivial proof
 * of work limit, but retargeting every 8 blocks toward 10 s, and a genesis
 * 256x harder than the limit (~1,000 hashes a block) so difficulty has room to
 * fall, which is what the attack is after.
 */
function warpnet (): NetworkParams {
  const unsolved = buildGenesis({ time: regtest.genesis.header.time, bits: 0x1f3fffff, nonce: 0, message: 'minicoin timewarp test genesis', hash: '' }, regtest.initialReward)
  const genesis = solve(unsolved)
  return { ...regtest, noRetarget: false, retargetInterval: INTERVAL, targetBlockTime: BLOCK_TIME, genesis, genesisHash: blockHashHex(genesis.header) }
}

const p = warpnet()
const key = newKey()
/** Real time in the tests: it stands still while the attacker mines. */
const NOW = p.genesis.header.time + 100_000

/** Ancestor lookup over a list of headers indexed by height (genesis first). */
function lookupOf (headers: BlockHeader[]): AncestorLookup {
  return { ancestor: (h: number) => headers[h] }
}

/**
 * Builds headers from genesis under the pre-fix rules (expected bits, time
 * after the median time past), taking each block's time from `timeAt`.
 */
function buildHeaders (count: number, timeAt: (height: number, chain: BlockHeader[]) => number): BlockHeader[] {
  const chain: BlockHeader[] = [p.genesis.header]
  let tip: Tip = genesisTip(p)
  for (let h = 1; h <= count; h++) {
    const time = timeAt(h, chain)
    const block = mineBlock(tip, [], key, { p, time, header: { bits: expectedBits(h, lookupOf(chain), p) } })
    chain.push(block.header)
    tip = tipOf(block, h)
  }
  return chain.slice(1)
}

/**
 * The attack: every block at the lowest time the median rule allows, except
 * the last block of each period, stamped with the real time. Each retarget
 * window then measures ~100,000 s for 7 block intervals, so difficulty drops
 * by the 4x clamp every period although no time passes.
 */
function attackChain (periods: number): BlockHeader[] {
  return buildHeaders(periods * INTERVAL, (h, chain) => h % INTERVAL === INTERVAL - 1 ? NOW : medianTimePast(h - 1, lookupOf(chain), p) + 1)
}

/** Honest miners: a block every 10 s ending near the present. */
function honestChain (periods: number, start = NOW - periods * INTERVAL * BLOCK_TIME): BlockHeader[] {
  return buildHeaders(periods * INTERVAL, h => start + h * BLOCK_TIME)
}

function targetOf (bits: number): bigint {
  return bitsToTarget(bits)!
}

async function failure (run: () => Promise<unknown>): Promise<ValidationError> {
  try {
    await run()
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    return err as ValidationError
  }
  throw new Error('expected a ValidationError')
}

let dir: ReturnType<typeof tempDir>
let chain: Chain
let spv: HeaderChain
let spvDir: ReturnType<typeof tempDir>

beforeEach(async () => {
  dir = tempDir()
  spvDir = tempDir()
  chain = await Chain.open({ location: dir.path, params: p, verifier: new NobleVerifier(), now: () => NOW })
  spv = await HeaderChain.open({ location: spvDir.path, params: p, now: () => NOW })
})

afterEach(async () => {
  await chain.close()
  await spv.close()
  dir.remove()
  spvDir.remove()
})

describe('timewarp (BIP94, scaled to the block time)', () => {
  it('the attack chain lowers difficulty 4x every period under the old rules', () => {
    const headers = attackChain(3)
    let previous = targetOf(p.genesis.header.bits)
    for (let k = 1; k <= 3; k++) {
      const boundary = headers[k * INTERVAL - 1] // height k * INTERVAL
      // 4x easier, up to the compact encoding's rounding
      const ratio = Number(targetOf(boundary.bits) * 10_000n / previous) / 10_000
      expect(ratio).toBeGreaterThan(3.99)
      expect(ratio).toBeLessThanOrEqual(4)
      previous = targetOf(boundary.bits)
      // ...by stepping back to the low times right after a block at the present
      expect(headers[k * INTERVAL - 2].time - boundary.time).toBeGreaterThan(90_000)
    }
  })

  it('the full chain rejects the first boundary block of the attack (header-timewarp)', async () => {
    const headers = attackChain(3)
    const err = await failure(async () => await chain.processHeaders(headers))
    expect(err.code).toBe('header-timewarp')
    expect(err.severity).toBe('reject')
    expect(chain.bestHeader().height).toBe(INTERVAL - 1)
    // the same header as a block is rejected before its body is looked at
    const boundary = headers[INTERVAL - 1]
    expect(() => chain.precheckHeader(boundary)).toThrow(/more than 10s before its parent/)
  })

  it('the SPV header chain rejects it too', async () => {
    const headers = attackChain(3)
    const err = await failure(async () => await spv.processHeaders(headers))
    expect(err.code).toBe('header-timewarp')
    expect(spv.height).toBe(INTERVAL - 1)
  })

  it('allows exactly one block time back at a boundary, not one second more', async () => {
    // a miner with a fast clock stamps the last block of period 0 ahead of the others
    const headers = buildHeaders(INTERVAL - 1, h => NOW - 1000 + h * BLOCK_TIME + (h === INTERVAL - 1 ? 500 : 0))
    await chain.processHeaders(headers)
    await spv.processHeaders(headers)
    const parent = headers[INTERVAL - 2]
    const chainHeaders = [p.genesis.header, ...headers]
    const bits = expectedBits(INTERVAL, lookupOf(chainHeaders), p)
    const parentTip: Tip = { hash: blockHash(parent), height: INTERVAL - 1, time: parent.time, bits }
    const tooEarly = mineBlock(parentTip, [], key, { p, time: parent.time - maxTimewarp(p) - 1, header: { bits } }).header
    const earliest = mineBlock(parentTip, [], key, { p, time: parent.time - maxTimewarp(p), header: { bits } }).header
    expect((await failure(async () => await chain.processHeaders([tooEarly]))).code).toBe('header-timewarp')
    expect((await failure(async () => await spv.processHeaders([tooEarly]))).code).toBe('header-timewarp')
    await chain.processHeaders([earliest])
    await spv.processHeaders([earliest])
    expect(chain.bestHeader().height).toBe(INTERVAL)
    expect(spv.height).toBe(INTERVAL)
    // inside a period the usual median rule alone applies: going back further is fine
    const lookup = lookupOf([...chainHeaders, earliest])
    const inside = mineBlock({ hash: blockHash(earliest), height: INTERVAL, time: earliest.time, bits }, [], key, {
      p, time: medianTimePast(INTERVAL, lookup, p) + 1, header: { bits }
    }).header
    expect(inside.time).toBeLessThan(earliest.time - maxTimewarp(p))
    await chain.processHeaders([inside])
    expect(chain.bestHeader().height).toBe(INTERVAL + 1)
  })

  it('honest chains over several periods are unaffected', async () => {
    const headers = honestChain(4)
    await chain.processHeaders(headers)
    await spv.processHeaders(headers)
    expect(chain.bestHeader().height).toBe(4 * INTERVAL)
    expect(spv.height).toBe(4 * INTERVAL)
  })

  it("a miner whose clock is behind its parent's still builds a valid boundary block", async () => {
    // period 0 mined by a peer whose clock runs 100 s fast
    const headers = buildHeaders(INTERVAL - 1, h => NOW + 100 - (INTERVAL - 1 - h) * BLOCK_TIME)
    let tip = genesisTip(p)
    const blocks = []
    for (const h of headers) {
      const b = mineBlock(tip, [], key, { p, time: h.time, header: { bits: h.bits } })
      blocks.push(b)
      tip = tipOf(b, tip.height + 1)
    }
    const freshDir = tempDir()
    const fresh = await Chain.open({ location: freshDir.path, params: p, verifier: new NobleVerifier(), now: () => NOW + 100 })
    try {
      for (const b of blocks) await fresh.processBlock(b)
      expect(fresh.height).toBe(INTERVAL - 1)
      // our clock says NOW, 100 s before the parent: the template must move to the floor
      const template = buildTemplate(fresh, undefined, key.address, 0n, NOW)
      expect(template.height).toBe(INTERVAL)
      expect(template.block.header.time).toBe(fresh.tip.header.time - maxTimewarp(p))
      const solved = solve(template.block)
      expect((await fresh.processBlock(solved)).status).toBe('connected')
    } finally {
      await fresh.close()
      freshDir.remove()
    }
  })

  it('allows one block time on each network: devnet 5 s, testnet 60 s (Bitcoin: 600 s of a 600 s block)', () => {
    expect(maxTimewarp(devnet)).toBe(5)
    expect(maxTimewarp(testnet)).toBe(60)
    // a small fraction of a retarget window, as 600 s is of Bitcoin's two weeks
    for (const n of [devnet, testnet]) expect(maxTimewarp(n) * 10).toBeLessThanOrEqual(n.targetBlockTime * n.retargetInterval)
  })
})
