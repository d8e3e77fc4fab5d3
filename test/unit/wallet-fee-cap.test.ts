// The builder refuses an absurd fee (above 1 MC) unless the caller forces it.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hash160 } from '../../src/core/hash.js'
import { COIN, regtest } from '../../src/core/params.js'
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/keys.js'
import { buildTransaction, type BuildOptions } from '../../src/wallet/builder.js'

const key = generatePrivateKey()
const address = hash160(publicKeyOf(key))
const coins = [{ txid: new Uint8Array(randomBytes(32)), index: 0, amount: 50n * COIN, address }]
const base: BuildOptions = { utxos: coins, to: hash160(publicKeyOf(generatePrivateKey())), amount: 1000n, changeAddress: address, keys: [key], params: regtest }

function failure (options: Partial<BuildOptions>): unknown {
  try {
    buildTransaction({ ...base, ...options })
  } catch (err) {
    return err
  }
  return undefined
}

describe('fee cap', () => {
  it('refuses a fixed fee above 1 MC with fee-too-high', () => {
    const err = failure({ fee: COIN + 1n })
    expect(err).toMatchObject({ code: 'fee-too-high' })
    expect((err as Error).message).toMatch(/above the cap of 100000000 base units.*force/)
    // the whole money supply in fees, the case the issue reproduced
    expect(failure({ fee: 49n * COIN })).toMatchObject({ code: 'fee-too-high' })
  })

  it('refuses a fee rate that adds up to more than 1 MC', () => {
    expect(failure({ feeRate: COIN / 100n })).toMatchObject({ code: 'fee-too-high' })
  })

  it('accepts up to the cap, and above it when forced', () => {
    expect(buildTransaction({ ...base, fee: COIN }).fee).toBe(COIN)
    expect(buildTransaction({ ...base, fee: 49n * COIN, force: true } as BuildOptions).fee).toBe(49n * COIN)
  })
})
