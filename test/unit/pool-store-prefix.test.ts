// The pool asks "may a pending transaction have this txid?" from counts of
// 30-bit txid prefixes, so that an input's parent is looked up by hex only
// then. The counts must follow every insertion and removal, also when two
// pending txids share a prefix.
import { describe, expect, it } from 'vitest'
import { PoolStore } from '../../src/mempool/pool-store.js'
import { NO_LINKS, type MempoolEntry } from '../../src/mempool/entry.js'
import { toHex } from '../../src/core/bytes.js'
import type { Transaction } from '../../src/core/types.js'

function entry (id: Uint8Array): MempoolEntry {
  const tx: Transaction = { version: 1, inputs: [], outputs: [], lockTime: 0, coinbase: new Uint8Array(0) }
  return { tx, txid: id, txidHex: toHex(id), fee: 100n, size: 100, time: 0, parents: NO_LINKS, children: NO_LINKS, seq: 0, descCount: 1, descSize: 100, descFee: 100n, heightSensitive: false, evictKey: 0 }
}
const insert = (store: PoolStore, e: MempoolEntry): void => { store.insert(e, { fee: e.fee, parents: NO_LINKS, ancestors: NO_LINKS, heightSensitive: false, outpoints: [] }) }

describe('PoolStore.mayHold', () => {
  it('follows insertions and removals, two txids of one prefix counted apart', () => {
    const store = new PoolStore(() => {})
    // the same first 30 bits (the last two bits of byte 3 and everything after differ)
    const a = new Uint8Array(32).fill(1)
    const b = new Uint8Array(32).fill(1); b[3] = 2; b[31] = 9
    const other = new Uint8Array(32).fill(200)
    expect(store.mayHold(a)).toBe(false)
    const ea = entry(a)
    const eb = entry(b)
    insert(store, ea)
    insert(store, eb)
    expect(store.mayHold(a) && store.mayHold(b)).toBe(true)
    expect(store.mayHold(other)).toBe(false)
    expect(store.checkConsistency()).toEqual([])
    store.removeSet(new Set([ea]), 'block')
    // b is still pending: its prefix stays
    expect(store.mayHold(b)).toBe(true)
    expect(store.checkConsistency()).toEqual([])
    store.removeSet(new Set([eb]), 'block')
    expect(store.mayHold(a) || store.mayHold(b)).toBe(false)
    insert(store, entry(other))
    store.clear()
    expect(store.mayHold(other)).toBe(false)
  })
})
