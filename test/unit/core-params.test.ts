import { describe, expect, it } from 'vitest'
import { blockReward, devnet, getNetwork, networks, regtest, testnet } from '../../src/core/params.js'
import { blockHashHex } from '../../src/core/block.js'
import { checkBlock } from '../../src/core/validate.js'
import { bitsToTarget } from '../../src/core/pow.js'

describe('network parameters', () => {
  it('hard-codes genesis blocks that hash as declared and meet their own proof of work', () => {
    for (const p of Object.values(networks)) {
      expect(blockHashHex(p.genesis.header)).toBe(p.genesisHash)
      expect(() => checkBlock(p.genesis, p)).not.toThrow()
      expect(bitsToTarget(p.genesis.header.bits)! <= p.powLimit).toBe(true)
    }
    expect(new Set(Object.values(networks).map(p => p.genesisHash)).size).toBe(3)
    expect(new Set(Object.values(networks).map(p => p.addressPrefix)).size).toBe(3)
  })

  it('halves the reward on schedule and ends it', () => {
    expect(blockReward(0, devnet)).toBe(5_000_000_000n)
    expect(blockReward(devnet.halvingInterval - 1, devnet)).toBe(5_000_000_000n)
    expect(blockReward(devnet.halvingInterval, devnet)).toBe(2_500_000_000n)
    expect(blockReward(regtest.halvingInterval * 3, regtest)).toBe(625_000_000n)
    expect(blockReward(testnet.halvingInterval * 64, testnet)).toBe(0n)
    let total = 0n
    for (let h = 0; h < 64; h++) total += blockReward(h * devnet.halvingInterval, devnet) * BigInt(devnet.halvingInterval)
    expect(total).toBeLessThan(21_000_000n * 100_000_000n)
  })

  it('looks networks up by id with a clear error', () => {
    expect(getNetwork('devnet')).toBe(devnet)
    expect(() => getNetwork('mainnet')).toThrow(/unknown network "mainnet".*devnet, testnet, regtest/)
    expect(() => getNetwork('__proto__')).toThrow(/unknown network/)
  })

  it('paces devnet for a LAN demo and testnet slower', () => {
    expect(devnet.targetBlockTime).toBeLessThan(testnet.targetBlockTime)
    expect(devnet.retargetInterval).toBeLessThan(testnet.retargetInterval)
    expect(devnet.coinbaseMaturity).toBeLessThan(testnet.coinbaseMaturity)
  })
})
