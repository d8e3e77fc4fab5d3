import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { MAX_MONEY, devnet, regtest } from '../../src/core/params.js'
import { hash160 } from '../../src/core/hash.js'
import { sighash, txSize, txid } from '../../src/core/tx.js'
import { checkTransaction } from '../../src/core/validate.js'
import { encodeTx } from '../../src/core/encoding.js'
import type { Transaction } from '../../src/core/types.js'
import { generatePrivateKey, publicKeyOf, verifyDigest } from '../../src/crypto/keys.js'
import { AddressError, encodeAddress } from '../../src/wallet/address.js'
import {
  BuildError, DEFAULT_DUST_THRESHOLD, InsufficientFundsError, buildTransaction, parseAmount, selectCoins,
  verifyTransactionSignatures, type BuildOptions, type SpendableOutput
} from '../../src/wallet/builder.js'

const params = regtest
const key1 = generatePrivateKey()
const key2 = generatePrivateKey()
const addr1 = hash160(publicKeyOf(key1))
const addr2 = hash160(publicKeyOf(key2))
const recipient = hash160(publicKeyOf(generatePrivateKey()))
const change = hash160(publicKeyOf(generatePrivateKey()))

function utxo (amount: bigint, address = addr1, index = 0): SpendableOutput {
  return { txid: new Uint8Array(randomBytes(32)), index, amount, address }
}

function build (overrides: Partial<BuildOptions>): ReturnType<typeof buildTransaction> {
  return buildTransaction({ utxos: [], to: recipient, amount: 1000n, changeAddress: change, keys: [key1, key2], params, ...overrides })
}

function buildError (overrides: Partial<BuildOptions>): BuildError {
  try {
    build(overrides)
  } catch (err) {
    expect(err).toBeInstanceOf(BuildError)
    return err as BuildError
  }
  throw new Error('expected a BuildError')
}

function spentAddresses (built: ReturnType<typeof buildTransaction>): Uint8Array[] {
  return built.spent.map(u => u.address)
}

function expectValid (built: ReturnType<typeof buildTransaction>): void {
  expect(() => checkTransaction(built.tx, params)).not.toThrow()
  const digest = sighash(built.tx, params.id)
  built.tx.inputs.forEach((input, i) => {
    expect(verifyDigest(input.signature, digest, input.publicKey)).toBe(true)
    expect(hash160(input.publicKey)).toEqual(built.spent[i].address)
  })
  expect(verifyTransactionSignatures(built.tx, spentAddresses(built), params.id)).toBe(true)
  const inputs = built.spent.reduce((s, u) => s + u.amount, 0n)
  const outputs = built.tx.outputs.reduce((s, o) => s + o.amount, 0n)
  expect(inputs - outputs).toBe(built.fee)
  expect(built.txid).toEqual(txid(built.tx))
  expect(built.size).toBe(txSize(built.tx))
}

describe('buildTransaction', () => {
  it('spends an exact amount with no change', () => {
    const built = build({ utxos: [utxo(10_000n)], amount: 9_900n, fee: 100n })
    expectValid(built)
    expect(built.tx.outputs).toEqual([{ amount: 9_900n, address: recipient }])
    expect(built.fee).toBe(100n)
    expect(built.change).toBe(0n)
  })

  it('returns change to the change address', () => {
    const built = build({ utxos: [utxo(100_000n)], amount: 30_000n, fee: 100n })
    expectValid(built)
    expect(built.tx.outputs).toEqual([{ amount: 30_000n, address: recipient }, { amount: 69_900n, address: change }])
    expect(built.change).toBe(69_900n)
  })

  it('adds change below the dust threshold to the fee', () => {
    const built = build({ utxos: [utxo(10_000n)], amount: 9_500n, fee: 100n })
    expectValid(built)
    expect(built.tx.outputs).toHaveLength(1)
    expect(built.fee).toBe(500n)
    // At the threshold, change is kept.
    const kept = build({ utxos: [utxo(10_000n)], amount: 10_000n - 100n - DEFAULT_DUST_THRESHOLD, fee: 100n })
    expect(kept.change).toBe(DEFAULT_DUST_THRESHOLD)
    expect(build({ utxos: [utxo(10_000n)], amount: 9_500n, fee: 100n, dustThreshold: 100n }).change).toBe(400n)
  })

  it('sets the fee from a fee rate on the final size, with change', () => {
    const rate = 10n
    const built = build({ utxos: [utxo(1_000_000n)], amount: 300_000n, feeRate: rate })
    expectValid(built)
    expect(built.tx.outputs).toHaveLength(2)
    expect(built.fee).toBeGreaterThanOrEqual(rate * BigInt(built.size))
    // At most a byte or two of over-payment (a change amount that encodes shorter).
    expect(built.fee - rate * BigInt(built.size)).toBeLessThan(rate * 3n)
  })

  it('fee-rate estimation converges when the fee needs more inputs', () => {
    const rate = 10n
    const utxos = [utxo(5_000n, addr1, 0), utxo(5_000n, addr2, 1), utxo(5_000n, addr1, 2)]
    // Two coins cover the amount but not the fee of a two-input transaction.
    const built = build({ utxos, amount: 9_000n, feeRate: rate })
    expectValid(built)
    expect(built.tx.inputs).toHaveLength(3)
    expect(built.fee).toBeGreaterThanOrEqual(rate * BigInt(built.size))
    // Without change the fee is whatever is left, at least the rate.
    expect(built.change === 0n || built.fee - rate * BigInt(built.size) < rate * 3n).toBe(true)
  })

  it('fee-rate with no change left: the remainder is the fee', () => {
    const probe = build({ utxos: [utxo(100_000n)], amount: 1_000n, feeRate: 5n })
    const noChangeFee = 5n * BigInt(probe.size - 22) // about one output less
    const built = build({ utxos: [utxo(100_000n)], amount: 100_000n - noChangeFee - 10n, feeRate: 5n })
    expectValid(built)
    expect(built.tx.outputs).toHaveLength(1)
    expect(built.fee).toBeGreaterThanOrEqual(5n * BigInt(built.size))
  })

  it('uses 1 base unit per byte when no fee is given', () => {
    const built = build({ utxos: [utxo(100_000n)], amount: 1_000n })
    expectValid(built)
    expect(built.fee).toBeGreaterThanOrEqual(BigInt(built.size))
    expect(built.fee).toBeLessThan(BigInt(built.size) + 3n)
  })

  it('prefers the fewest inputs, and among those the least change', () => {
    const coins = [utxo(1_000n), utxo(2_000n), utxo(50_000n), utxo(7_000n)]
    const amounts = (amount: bigint): bigint[] => build({ utxos: coins, amount, fee: 100n }).spent.map(u => u.amount)
    expect(amounts(5_000n)).toEqual([7_000n])
    expect(amounts(8_000n)).toEqual([50_000n])
    expect(amounts(51_000n)).toEqual([50_000n, 2_000n])
    expect(amounts(52_000n)).toEqual([50_000n, 7_000n])
    expect(amounts(59_900n)).toEqual([50_000n, 7_000n, 2_000n, 1_000n])
  })

  it('is deterministic whatever the order of the utxos', () => {
    const coins = [utxo(3_000n), utxo(3_000n), utxo(3_000n, addr2), utxo(9_000n)]
    const a = build({ utxos: coins, amount: 11_000n, feeRate: 2n })
    const b = build({ utxos: [...coins].reverse(), amount: 11_000n, feeRate: 2n })
    expect(encodeTx(b.tx)).toEqual(encodeTx(a.tx))
  })

  it('accepts address strings of its network and rejects others', () => {
    const built = build({ utxos: [utxo(10_000n)], to: encodeAddress(recipient, params), changeAddress: encodeAddress(change, params), amount: 1_000n, fee: 10n })
    expect(built.tx.outputs[0].address).toEqual(recipient)
    expect(built.tx.outputs[1].address).toEqual(change)
    expect(() => build({ utxos: [utxo(10_000n)], to: encodeAddress(recipient, devnet) })).toThrow(AddressError)
    expect(buildError({ utxos: [utxo(10_000n)], to: new Uint8Array(19) }).code).toBe('bad-address')
  })

  it('reports insufficient funds with what is available and needed', () => {
    const err = buildError({ utxos: [utxo(1_000n), utxo(2_000n)], amount: 3_000n, fee: 10n })
    expect(err).toBeInstanceOf(InsufficientFundsError)
    expect(err.code).toBe('insufficient-funds')
    expect(err.message).toBe('insufficient funds: 3000 available, 3010 needed (amount 3000 + fee 10)')
    expect((err as InsufficientFundsError).available).toBe(3_000n)
    expect((err as InsufficientFundsError).needed).toBe(3_010n)
    const rated = buildError({ utxos: [utxo(1_000n), utxo(2_000n)], amount: 3_000n, feeRate: 1n }) as InsufficientFundsError
    expect(rated.code).toBe('insufficient-funds')
    expect(rated.needed).toBeGreaterThan(3_000n + 200n) // two inputs' worth of bytes
    expect(buildError({ utxos: [], amount: 1n }).code).toBe('insufficient-funds')
  })

  it('rejects amounts that are not positive, too large or not integers', () => {
    const utxos = [utxo(10_000n)]
    expect(buildError({ utxos, amount: 0n }).code).toBe('amount-not-positive')
    expect(buildError({ utxos, amount: -5n }).code).toBe('amount-not-positive')
    expect(buildError({ utxos, amount: '-5' }).code).toBe('amount-not-positive')
    expect(buildError({ utxos, amount: MAX_MONEY + 1n }).code).toBe('amount-too-large')
    for (const bad of [1.5, '1.5', 'abc', '', Number.NaN, 2 ** 60, '1e3']) {
      expect(buildError({ utxos, amount: bad as never }).code).toBe('amount-not-integer')
    }
    expect(build({ utxos, amount: '1000', fee: 10 }).tx.outputs[0].amount).toBe(1_000n)
    expect(build({ utxos, amount: 1000, fee: '10' }).fee).toBe(10n)
  })

  it('rejects bad fees and fee rates', () => {
    const utxos = [utxo(10_000n)]
    expect(buildError({ utxos, fee: 10n, feeRate: 1n }).code).toBe('fee-and-fee-rate')
    expect(buildError({ utxos, fee: -1n }).code).toBe('bad-fee')
    expect(buildError({ utxos, fee: 0.5 }).code).toBe('bad-fee')
    expect(buildError({ utxos, feeRate: -1n }).code).toBe('bad-fee-rate')
    expect(buildError({ utxos, feeRate: '0.5' }).code).toBe('bad-fee-rate')
  })

  it('rejects a utxo the keys cannot sign for', () => {
    const stranger = hash160(publicKeyOf(generatePrivateKey()))
    const err = buildError({ utxos: [utxo(10_000n), utxo(10_000n, stranger)] })
    expect(err.code).toBe('no-key')
    expect(err.message).toContain(encodeAddress(stranger, params))
    expect(buildError({ utxos: [utxo(10_000n, addr1)], keys: () => undefined }).code).toBe('no-key')
  })

  it('rejects a key that belongs to another address', () => {
    expect(buildError({ utxos: [utxo(10_000n, addr1)], keys: () => key2 }).code).toBe('key-mismatch')
  })

  it('rejects duplicate and malformed utxos', () => {
    const u = utxo(10_000n)
    expect(buildError({ utxos: [u, { ...u }] }).code).toBe('duplicate-utxo')
    expect(buildError({ utxos: [{ ...u, amount: 0n }] }).code).toBe('bad-utxo')
    expect(buildError({ utxos: [{ ...u, amount: 5 as never }] }).code).toBe('bad-utxo')
    expect(buildError({ utxos: [{ ...u, txid: new Uint8Array(31) }] }).code).toBe('bad-utxo')
    expect(buildError({ utxos: [{ ...u, index: -1 }] }).code).toBe('bad-utxo')
  })

  it('refuses a transaction above the size limit', () => {
    const small = { ...params, maxTxSize: 1_000 }
    const utxos = Array.from({ length: 10 }, (_, i) => utxo(1_000n, addr1, i))
    expect(buildError({ utxos, amount: 9_000n, fee: 0n, params: small }).code).toBe('tx-too-large')
  })

  it('signs inputs of different addresses with their own keys (key lookup function)', () => {
    const keys = new Map([[addr1.toString(), key1], [addr2.toString(), key2]])
    const built = build({ utxos: [utxo(600n, addr1), utxo(700n, addr2)], amount: 1_200n, fee: 100n, keys: hash => keys.get(hash.toString()) })
    expectValid(built)
    expect(built.spent.map(u => u.address)).toEqual([addr2, addr1])
  })
})

describe('signatures commit to the whole transaction', () => {
  const built = build({ utxos: [utxo(40_000n, addr1), utxo(30_000n, addr2)], amount: 60_000n, fee: 100n })
  const spent = spentAddresses(built)

  function tampered (change: (tx: Transaction) => Transaction): boolean {
    return verifyTransactionSignatures(change(built.tx), spent, params.id)
  }

  it('verifies untouched', () => {
    expect(built.tx.outputs).toHaveLength(2)
    expect(verifyTransactionSignatures(built.tx, spent, params.id)).toBe(true)
  })

  it('breaks when any output is altered', () => {
    built.tx.outputs.forEach((_, i) => {
      const withOutput = (o: Partial<Transaction['outputs'][number]>) => (tx: Transaction): Transaction =>
        ({ ...tx, outputs: tx.outputs.map((out, j) => j === i ? { ...out, ...o } : out) })
      expect(tampered(withOutput({ amount: built.tx.outputs[i].amount + 1n }))).toBe(false)
      expect(tampered(withOutput({ amount: built.tx.outputs[i].amount - 1n }))).toBe(false)
      expect(tampered(withOutput({ address: recipient.map(b => b ^ 1) }))).toBe(false)
    })
    expect(tampered(tx => ({ ...tx, outputs: [...tx.outputs].reverse() }))).toBe(false)
    expect(tampered(tx => ({ ...tx, outputs: [...tx.outputs, { amount: 1n, address: recipient }] }))).toBe(false)
    expect(tampered(tx => ({ ...tx, outputs: tx.outputs.slice(0, 1) }))).toBe(false)
  })

  it('breaks when an input, the lock time or the network changes', () => {
    expect(tampered(tx => ({ ...tx, inputs: tx.inputs.map((inp, j) => j === 1 ? { ...inp, prevIndex: inp.prevIndex + 1 } : inp) }))).toBe(false)
    expect(tampered(tx => ({ ...tx, lockTime: tx.lockTime + 1 }))).toBe(false)
    expect(verifyTransactionSignatures(built.tx, spent, devnet.id)).toBe(false)
  })

  it('fails when a public key does not match the spent address', () => {
    expect(verifyTransactionSignatures(built.tx, [...spent].reverse(), params.id)).toBe(false)
  })
})

describe('helpers', () => {
  it('parseAmount never goes through a float', () => {
    expect(parseAmount('2100000000000001')).toBe(2_100_000_000_000_001n)
    expect(parseAmount(' 42 ')).toBe(42n)
    expect(() => parseAmount(2 ** 53)).toThrow(BuildError)
    expect(() => parseAmount('0x10')).toThrow(BuildError)
  })

  it('selectCoins returns null when the coins fall short', () => {
    expect(selectCoins([utxo(5n), utxo(3n)], 9n)).toBeNull()
    expect(selectCoins([utxo(5n), utxo(3n)], 8n)?.map(u => u.amount)).toEqual([5n, 3n])
  })
})
