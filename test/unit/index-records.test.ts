// The block index as start-up reads it: records decoded with views into the
// database's buffers (not copies), read in chunks.
import { afterEach, describe, expect, it } from 'vitest'
import { decodeIndexRecord, encodeIndexRecord } from '../../src/chain/records.js'
import { ChainStore } from '../../src/chain/store.js'
import { parseHeader, serializeHeader } from '../../src/core/encoding.js'
import { regtest } from '../../src/core/params.js'
import { decodeCoin, encodeCoin } from '../../src/node/wallet/records.js'
import { tempDir } from '../../bench/support/chain-fixtures.js'

const dirs: Array<{ remove: () => void }> = []
afterEach(() => { for (const d of dirs.splice(0)) d.remove() })

describe('index records', () => {
  it('decode to the header, height, work and status they were made from, with plain 32-byte hashes', () => {
    const header = { ...regtest.genesis.header, prevHash: new Uint8Array(32).fill(3), merkleRoot: new Uint8Array(32).fill(9), nonce: 0xfffffffe }
    const bytes = encodeIndexRecord({ header, height: 70_000, work: 2n ** 200n + 5n, status: 3 })
    // as LevelDB hands it over: a Buffer at an offset into a larger one
    const read = Buffer.concat([Buffer.alloc(7, 0xee), Buffer.from(bytes)]).subarray(7)
    const rec = decodeIndexRecord(read)
    expect(rec.height).toBe(70_000)
    expect(rec.work).toBe(2n ** 200n + 5n)
    expect(rec.status).toBe(3)
    expect(serializeHeader(rec.header)).toEqual(serializeHeader(header))
    expect(rec.header).toEqual(parseHeader(serializeHeader(header)))
    for (const h of [rec.header.prevHash, rec.header.merkleRoot]) {
      expect(h.constructor).toBe(Uint8Array)
      expect(h.length).toBe(32)
    }
  })

  it('refuses a record too short to hold one', () => {
    expect(() => decodeIndexRecord(new Uint8Array(116))).toThrow(/index record is 117 bytes, got 116/)
  })

  it('wallet coins decode to plain arrays of the stored txid and address', () => {
    const coin = { txid: new Uint8Array(32).fill(1), index: 7, amount: 5_000_000_000n, address: new Uint8Array(20).fill(2), height: 12, coinbase: true, own: false }
    const key = Buffer.concat([Buffer.from([4]), Buffer.from(coin.txid), Buffer.from([0, 0, 0, 7])])
    const c = decodeCoin(key, Buffer.from(encodeCoin(coin)))
    expect(c).toEqual(coin)
    expect(c.txid.constructor).toBe(Uint8Array)
    expect(c.address.constructor).toBe(Uint8Array)
  })
})

describe('ChainStore.scanChunks', () => {
  it('reads every pair under a prefix in key order, in chunks of at most the size asked', async () => {
    const dir = tempDir(); dirs.push(dir)
    const store = new ChainStore(dir.path)
    await store.open()
    try {
      const ops = Array.from({ length: 25 }, (_, i) => ({ type: 'put' as const, key: new Uint8Array([5, i]), value: new Uint8Array([i]) }))
      await store.write([...ops, { type: 'put', key: new Uint8Array([4, 0]), value: new Uint8Array([1]) }, { type: 'put', key: new Uint8Array([6]), value: new Uint8Array([1]) }])
      const sizes: number[] = []
      const keys: number[] = []
      for await (const chunk of store.scanChunks(new Uint8Array([5]), 10)) {
        sizes.push(chunk.length)
        for (const [k, v] of chunk) { keys.push(k[1]); expect(v[0]).toBe(k[1]) }
      }
      expect(sizes).toEqual([10, 10, 5])
      expect(keys).toEqual(Array.from({ length: 25 }, (_, i) => i))
      const all: number[] = []
      for await (const [k] of store.scan(new Uint8Array([5]))) all.push(k[1])
      expect(all).toEqual(keys)
    } finally {
      await store.close()
    }
  })
})
