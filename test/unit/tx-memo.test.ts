// A transaction's memo (its canonical bytes and txid, src/core/tx-memo.ts)
// lives on the object under a symbol: it must stay invisible to what reads
// a transaction's fields (spreads, JSON, deep equality), not follow a copy,
// and still work for an object that cannot take a property.
import { describe, expect, it } from 'vitest'
import { decodeTx, encodeTx } from '../../src/core/encoding.js'
import { txid } from '../../src/core/tx.js'
import { knownTxBytes, txMemo } from '../../src/core/tx-memo.js'
import { dsha256 } from '../../src/core/hash.js'
import type { Transaction } from '../../src/core/types.js'

function sampleTx (): Transaction {
  return {
    version: 1,
    inputs: [{ prevTxid: new Uint8Array(32).fill(7), prevIndex: 3, publicKey: new Uint8Array(33).fill(2), signature: new Uint8Array(64).fill(9) }],
    outputs: [{ amount: 1234n, address: new Uint8Array(20).fill(5) }],
    lockTime: 0,
    coinbase: new Uint8Array(0)
  }
}

describe('transaction memo', () => {
  it('is not a field: keys, JSON and deep equality see the transaction alone', () => {
    const bytes = encodeTx(sampleTx())
    const a = decodeTx(bytes, 1e6)
    const b = decodeTx(bytes, 1e6)
    txid(a) // a's memo now holds its txid, b's does not
    expect(txMemo(a)?.id).toBeDefined()
    expect(txMemo(b)?.id).toBeUndefined()
    expect(a).toEqual(b)
    expect(Object.keys(a)).toEqual(['version', 'inputs', 'outputs', 'lockTime', 'coinbase'])
    for (const s of Object.getOwnPropertySymbols(a)) expect(Object.getOwnPropertyDescriptor(a, s)?.enumerable).toBe(false)
    const replacer = (_: string, v: unknown): unknown => typeof v === 'bigint' ? v.toString() : v
    expect(JSON.stringify(a, replacer)).toBe(JSON.stringify(b, replacer))
  })

  it('does not follow a spread copy, which may be changed', () => {
    const tx = decodeTx(encodeTx(sampleTx()), 1e6)
    const id = txid(tx)
    const copy = { ...tx, lockTime: 5 }
    expect(txMemo(copy)).toBeUndefined()
    expect(txid(copy)).not.toEqual(id)
    expect(txid(copy)).toEqual(dsha256(encodeTx(copy)))
  })

  it('is kept for a frozen transaction too, and its txid is the hash of its bytes', () => {
    const tx = Object.freeze(sampleTx())
    const id = txid(tx)
    expect(id).toEqual(dsha256(encodeTx(tx)))
    expect(knownTxBytes(tx)).toEqual(encodeTx(tx))
    expect(txid(tx)).toBe(id) // remembered, not hashed again
  })
})
