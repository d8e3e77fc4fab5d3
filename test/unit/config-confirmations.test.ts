// wallet.confirmations: the network's default (6; regtest 1), or a depth the config gives.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/node/config.js'

const dir = mkdtempSync(join(tmpdir(), 'minicoin-conf-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function load (config: Record<string, unknown>): ReturnType<typeof loadConfig> {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, JSON.stringify({ role: 'full', dataDir: dir, ...config }))
  return loadConfig(file)
}

describe('wallet.confirmations', () => {
  it('defaults per network: 6 on devnet and testnet, 1 on regtest', () => {
    expect(load({ network: 'devnet' }).wallet.confirmations).toBe(6)
    expect(load({ network: 'testnet' }).wallet.confirmations).toBe(6)
    expect(load({ network: 'regtest' }).wallet.confirmations).toBe(1)
  })

  it('takes a depth from the config and refuses 0, fractions and strings', () => {
    expect(load({ network: 'devnet', wallet: { confirmations: 2 } }).wallet.confirmations).toBe(2)
    for (const bad of [0, 1.5, '6', -1, 10_001]) {
      expect(() => load({ network: 'devnet', wallet: { confirmations: bad } })).toThrow(ConfigError)
      expect(() => load({ network: 'devnet', wallet: { confirmations: bad } })).toThrow(/wallet\.confirmations: expected an integer from 1 to 10000/)
    }
  })
})
