// signatureChecks lives in src/core/signatures.ts; the chain engine reuses it.
import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { regtest } from '../../src/core/params.js'
import { hash160 } from '../../src/core/hash.js'
import { sighash } from '../../src/core/tx.js'
import { ValidationError } from '../../src/core/errors.js'
import { signatureChecks } from '../../src/core/signatures.js'
import type { Transaction } from '../../src/core/types.js'
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/keys.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { buildTransaction } from '../../src/wallet/builder.js'

const keys = [generatePrivateKey(), generatePrivateKey()]
const addresses = keys.map(k => hash160(publicKeyOf(k)))
const built = buildTransaction({
  utxos: addresses.map((address, i) => ({ txid: new Uint8Array(randomBytes(32)), index: i, amount: 5_000n, address })),
  to: new Uint8Array(20).fill(7),
  amount: 9_000n,
  fee: 100n,
  changeAddress: addresses[0],
  keys,
  params: regtest
})
const spent = built.spent.map(u => u.address)

describe('signatureChecks', () => {
  it('pairs every input with the transaction sighash', async () => {
    const checks = signatureChecks(built.tx, spent, regtest.id)
    expect(checks).toHaveLength(2)
    const digest = sighash(built.tx, regtest.id)
    checks.forEach((c, i) => {
      expect(c.digest).toEqual(digest)
      expect(c.signature).toEqual(built.tx.inputs[i].signature)
      expect(c.publicKey).toEqual(built.tx.inputs[i].publicKey)
    })
    expect(await new NobleVerifier().verifyBatch(checks)).toEqual([true, true])
  })

  it('throws tx-pubkey-mismatch when a key does not hash to the spent address', () => {
    const wrong = [spent[0], new Uint8Array(20)]
    let caught: unknown
    try {
      signatureChecks(built.tx, wrong, regtest.id)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(ValidationError)
    expect((caught as ValidationError).code).toBe('tx-pubkey-mismatch')
    expect((caught as ValidationError).severity).toBe('reject')
  })

  it('a tampered output still yields checks, which then fail to verify', async () => {
    const altered: Transaction = { ...built.tx, outputs: built.tx.outputs.map(o => ({ ...o, amount: o.amount + 1n })) }
    expect(await new NobleVerifier().verifyBatch(signatureChecks(altered, spent, regtest.id))).toEqual([false, false])
  })

  it('needs one spent address per input; a coinbase has no checks', () => {
    expect(() => signatureChecks(built.tx, spent.slice(1), regtest.id)).toThrow(RangeError)
    const coinbase: Transaction = { version: 1, inputs: [], outputs: [{ amount: 1n, address: addresses[0] }], lockTime: 0, coinbase: new Uint8Array([1, 0, 0, 0]) }
    expect(signatureChecks(coinbase, [], regtest.id)).toEqual([])
  })
})
