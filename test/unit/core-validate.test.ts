import { describe, expect, it } from 'vitest'
import { checkBlock, checkHeaderPow, checkTransaction } from '../../src/core/validate.js'
import { ValidationError } from '../../src/core/errors.js'
import { MAX_MONEY, regtest, devnet } from '../../src/core/params.js'
import { computeMerkleRoot } from '../../src/core/block.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { coinbaseTx, makeBlock, rand, solve, spendTx } from '../../bench/support/core-fixtures.js'

function codeOf (fn: () => void): string | undefined {
  try { fn() } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    return (err as ValidationError).code
  }
  return undefined
}

const txCode = (mutate: (tx: Transaction) => void, base: Transaction = spendTx()): string | undefined => {
  mutate(base)
  return codeOf(() => checkTransaction(base, regtest))
}

describe('stateless transaction rules', () => {
  it('accepts well-formed spends and coinbases', () => {
    expect(codeOf(() => checkTransaction(spendTx(), regtest))).toBeUndefined()
    expect(codeOf(() => checkTransaction(coinbaseTx(5), regtest))).toBeUndefined()
  })

  it.each([
    ['tx-bad-version', (tx: Transaction) => { tx.version = 2 }],
    ['tx-no-outputs', (tx: Transaction) => { tx.outputs = [] }],
    ['tx-no-inputs', (tx: Transaction) => { tx.inputs = [] }],
    ['tx-coinbase-data', (tx: Transaction) => { tx.coinbase = new Uint8Array(8) }],
    ['tx-bad-prevout', (tx: Transaction) => { tx.inputs[0].prevTxid = new Uint8Array(32) }],
    ['tx-bad-prevout', (tx: Transaction) => { tx.inputs[0].prevTxid = rand(31) }],
    ['tx-bad-pubkey', (tx: Transaction) => { tx.inputs[0].publicKey = rand(65) }],
    ['tx-bad-pubkey', (tx: Transaction) => { tx.inputs[0].publicKey[0] = 4 }],
    ['tx-bad-signature-length', (tx: Transaction) => { tx.inputs[0].signature = rand(70) }],
    ['tx-duplicate-input', (tx: Transaction) => { tx.inputs[1] = { ...tx.inputs[1], prevTxid: tx.inputs[0].prevTxid, prevIndex: tx.inputs[0].prevIndex } }],
    ['tx-zero-output', (tx: Transaction) => { tx.outputs[0].amount = 0n }],
    ['tx-output-too-large', (tx: Transaction) => { tx.outputs[0].amount = MAX_MONEY + 1n }],
    ['tx-outputs-too-large', (tx: Transaction) => { tx.outputs[0].amount = MAX_MONEY; tx.outputs[1].amount = 1n }],
    ['tx-bad-address', (tx: Transaction) => { tx.outputs[1].address = rand(21) }]
  ])('rejects %s', (code, mutate) => {
    expect(txCode(mutate)).toBe(code)
  })

  it('rejects oversized transactions and coinbase data', () => {
    expect(txCode(() => {}, spendTx(800, 1))).toBe('tx-oversize')
    expect(txCode(tx => { tx.coinbase = rand(regtest.maxCoinbaseDataSize + 1) }, coinbaseTx(1))).toBe('cb-data-oversize')
    expect(txCode(tx => { tx.coinbase = rand(3) }, coinbaseTx(1))).toBe('tx-no-inputs')
  })

  it('rejects a 64-byte transaction (could pose as a Merkle node)', () => {
    // grow the coinbase data until the encoding is exactly 64 bytes
    let found = false
    for (let n = 4; n < 60 && !found; n++) {
      const tx = { ...coinbaseTx(1), coinbase: rand(n) }
      try { checkTransaction(tx, regtest) } catch (err) { if ((err as ValidationError).code === 'tx-size-64') found = true }
    }
    expect(found).toBe(true)
  })
})

describe('stateless block rules', () => {
  const good = (): Block => makeBlock(regtest, [coinbaseTx(1), spendTx(), spendTx()])
  const resolve = (b: Block): Block => { b.header = { ...b.header, merkleRoot: computeMerkleRoot(b) }; return solve(b) }

  it('accepts a good block and the genesis blocks', () => {
    expect(codeOf(() => checkBlock(good(), regtest))).toBeUndefined()
    expect(codeOf(() => checkBlock(devnet.genesis, devnet))).toBeUndefined()
  })

  it('rejects bad proof of work, bad bits and bits above the limit', () => {
    const b = makeBlock(regtest, [coinbaseTx(1)])
    expect(codeOf(() => checkHeaderPow(b.header, devnet))).toBe('header-bits-above-limit')
    // nonce 0 at devnet difficulty: fails unless a one-in-a-million accident
    const withDevnetBits = { ...b.header, bits: devnet.powLimitBits, nonce: 0 }
    expect(codeOf(() => checkHeaderPow(withDevnetBits, devnet))).toBe('header-bad-pow')
    expect(codeOf(() => checkHeaderPow({ ...b.header, bits: 0x1d800000 }, devnet))).toBe('header-bad-bits')
    expect(codeOf(() => checkHeaderPow({ ...b.header, version: 2 }, regtest))).toBe('header-bad-version')
  })

  it('rejects blocks without a leading coinbase or with two', () => {
    expect(codeOf(() => checkBlock({ ...good(), transactions: [] }, regtest))).toBe('block-no-transactions')
    const b = good()
    expect(codeOf(() => checkBlock(resolve({ ...b, transactions: b.transactions.slice(1) }), regtest))).toBe('block-first-not-coinbase')
    expect(codeOf(() => checkBlock(resolve({ ...b, transactions: [...b.transactions, coinbaseTx(1)] }), regtest))).toBe('block-extra-coinbase')
  })

  it('rejects a duplicate txid even though the Merkle root would match (CVE-2012-2459)', () => {
    const b = makeBlock(regtest, [coinbaseTx(1), spendTx(), spendTx()])
    const dup = { ...b, transactions: [...b.transactions, b.transactions[2]] }
    expect(computeMerkleRoot(dup)).toEqual(b.header.merkleRoot)
    expect(codeOf(() => checkBlock(dup, regtest))).toBe('block-duplicate-tx')
  })

  it('rejects a Merkle root that does not commit to the transactions', () => {
    const b = good()
    b.transactions[1].outputs[0].amount += 1n
    const fresh = { ...b, transactions: b.transactions.map(t => ({ ...t })) } // drop cached txids
    expect(codeOf(() => checkBlock(fresh, regtest))).toBe('block-bad-merkle-root')
  })

  it('rejects oversized blocks', () => {
    const txs = [coinbaseTx(1)]
    for (let i = 0; i < 80; i++) txs.push(spendTx(200, 1))
    expect(codeOf(() => checkBlock(makeBlock(regtest, txs), regtest))).toBe('block-oversize')
  })

  it('passes a bad transaction inside a block through as its own code', () => {
    const b = good()
    b.transactions[2] = { ...b.transactions[2], outputs: [] }
    expect(codeOf(() => checkBlock(resolve(b), regtest))).toBe('tx-no-outputs')
  })
})
