// The mempool checks a transaction's inputs over encoded coins
// (checkEncodedTxInputs, read in place) while a block checks them over
// decoded ones (checkTxInputs). Both must give the same verdict, with the
// same error, in the same order of checks, for every kind of input.
import { describe, expect, it } from 'vitest'
import { checkEncodedTxInputs, checkTxInputs } from '../../src/chain/tx-verify.js'
import { coinAmountAt, decodeCoin, encodeCoin, type Coin } from '../../src/chain/records.js'
import { ValidationError } from '../../src/core/errors.js'
import { regtest } from '../../src/core/params.js'
import type { Transaction } from '../../src/core/types.js'
import { newKey, spend, type Key } from '../../bench/support/chain-fixtures.js'

const HEIGHT = 500

/** Both checks of `tx` against `coins` (by input, undefined: missing): their fee or their error code and message. */
function both (tx: Transaction, coins: Array<Coin | undefined>): [string, string] {
  const outcome = (f: () => { fee: bigint }): string => {
    try {
      return `fee ${f().fee}`
    } catch (err) {
      if (err instanceof ValidationError) return `${err.code}: ${err.message}`
      throw err
    }
  }
  let at = 0
  const decoded = outcome(() => checkTxInputs(tx, { spend: () => coins[at++] }, HEIGHT, regtest))
  let atEncoded = 0
  const encoded = outcome(() => checkEncodedTxInputs(tx, {
    spendEncoded: () => {
      const c = coins[atEncoded++]
      // a scratch buffer, reused by the next lookup: what the pool's parent lookup hands out
      return c === undefined ? undefined : encodeCoin(c, scratch)
    }
  }, HEIGHT, regtest))
  return [decoded, encoded]
}
const scratch = new Uint8Array(33)

const id = (n: number): Uint8Array => new Uint8Array(32).fill(n)
const coin = (key: Key, amount: bigint, extra: Partial<Coin> = {}): Coin => ({ amount, address: key.address, height: 10, coinbase: false, ...extra })

describe('checkEncodedTxInputs', () => {
  const a = newKey()
  const b = newKey()
  const tx = spend([{ txid: id(1), index: 0, amount: 5000n, key: a }, { txid: id(2), index: 1, amount: 7000n, key: b }], [{ address: a.address, amount: 11_000n }])

  const cases: Array<[string, Transaction, Array<Coin | undefined>, string]> = [
    ['valid', tx, [coin(a, 5000n), coin(b, 7000n)], 'fee 1000'],
    ['a missing second input', tx, [coin(a, 5000n), undefined], 'tx-missing-inputs'],
    ['an immature coinbase output', tx, [coin(a, 5000n, { coinbase: true, height: HEIGHT - regtest.coinbaseMaturity + 1 }), coin(b, 7000n)], 'tx-premature-coinbase-spend'],
    ['a mature coinbase output', tx, [coin(a, 5000n, { coinbase: true, height: HEIGHT - regtest.coinbaseMaturity }), coin(b, 7000n)], 'fee 1000'],
    ['outputs above the inputs', tx, [coin(a, 5000n), coin(b, 5000n)], 'tx-insufficient-input'],
    ['a key that is not the coin\'s owner', tx, [coin(a, 5000n), coin(a, 7000n)], 'tx-pubkey-mismatch'],
    // the amounts are checked before the owners, in both
    ['a wrong owner and too little input', tx, [coin(b, 5000n), coin(b, 100n)], 'tx-insufficient-input'],
    ['a lock time not reached', { ...tx, lockTime: HEIGHT + 1 }, [coin(a, 5000n), coin(b, 7000n)], 'tx-not-final']
  ]
  for (const [name, t, coins, expected] of cases) {
    it(`gives checkTxInputs' verdict for ${name}`, () => {
      const [decoded, encoded] = both(t, coins)
      expect(decoded.startsWith(expected)).toBe(true)
      expect(encoded).toBe(decoded)
    })
  }

  it('asks for no coin after a missing one, as checkTxInputs does', () => {
    let asked = 0
    expect(() => checkEncodedTxInputs(tx, { spendEncoded: () => { asked++; return undefined } }, HEIGHT, regtest)).toThrow(/unknown or already spent/)
    expect(asked).toBe(1)
  })

  it('fills the caller\'s array with the spent coins in input order, emptied first (a block reuses one)', () => {
    const coins = [coin(a, 5000n), coin(b, 7000n)]
    const spent: Coin[] = [coin(b, 1n), coin(b, 2n), coin(b, 3n)]
    let at = 0
    const r = checkTxInputs(tx, { spend: () => coins[at++] }, HEIGHT, regtest, false, spent)
    expect(r.checks).toHaveLength(0)
    expect(spent).toEqual(coins)
  })

  it('returns one signature check per input, or none when asked for none', () => {
    const coins = [coin(a, 5000n), coin(b, 7000n)]
    let at = 0
    const spendEncoded = (): Uint8Array => encodeCoin(coins[at++ % 2])
    expect(checkEncodedTxInputs(tx, { spendEncoded }, HEIGHT, regtest).checks).toHaveLength(2)
    expect(checkEncodedTxInputs(tx, { spendEncoded }, HEIGHT, regtest, false).checks).toHaveLength(0)
  })
})

describe('coinAmountAt', () => {
  it('reads every amount as decodeCoin does, below and above 2^53', () => {
    const key = newKey()
    for (const amount of [0n, 1n, 5_000_000_000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, 0x1234_5678_9abc_def0n]) {
      const bytes = encodeCoin(coin(key, amount))
      expect(coinAmountAt(bytes)).toBe(amount)
      expect(decodeCoin(bytes).amount).toBe(amount)
    }
  })
})
