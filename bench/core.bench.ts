import { type Bench } from './harness.js'
import { rate, round } from './harness.js'
import { decodeBlock, decodeTx, encodeBlock, encodeTx } from '../src/core/encoding.js'
import { decodeSyncResponse, encodeHeadersResponse } from '../src/p2p/sync-messages.js'
import { checkTransaction } from '../src/core/validate.js'
import { txid } from '../src/core/tx.js'
import { regtest } from '../src/core/params.js'
import { wire } from '../src/core/wire/schema.js'
import { merkleBranch, merkleRoot, verifyMerkleBranch } from '../src/core/merkle.js'
import { dsha256 } from '../src/core/hash.js'
import { spendTx, rand } from './support/core-fixtures.js'
import type { Block } from '../src/core/types.js'
import { OldestFirst } from '../src/core/oldest-first.js'

const a = rand(32)
const b = rand(32)

export const benches: Bench[] = [
  {
    name: 'tx_validate_stateless',
    group: 'core',
    async run () {
      // Bytes as they arrive from a peer: canonical decode, txid, every stateless rule.
      const encoded = Array.from({ length: 1000 }, () => encodeTx(spendTx(2, 2)))
      const validate = await rate(() => {
        for (const bytes of encoded) {
          const tx = decodeTx(bytes, regtest.maxTxSize)
          checkTransaction(tx, regtest)
          txid(tx)
        }
      }, encoded.length)
      const rawDecode = await rate(() => { for (const bytes of encoded) wire.Transaction.decode(bytes) }, encoded.length)
      return [
        { bench: 'tx_validate_stateless', value: round(validate), unit: 'tx/s', reference: 'protobuf_decode_raw', mark: '>= 100000' },
        { bench: 'protobuf_decode_raw', value: round(rawDecode), unit: 'tx/s' }
      ]
    }
  },
  {
    name: 'wire_codec',
    group: 'core',
    async run () {
      // The canonical codecs on the hot sync path: a ~1 MB block (2,900
      // transactions) decoded and encoded, and a headers reply of 2,000 headers.
      const block: Block = {
        header: { version: 1, prevHash: rand(32), merkleRoot: rand(32), time: 1_700_000_000, bits: 0x1d00ffff, nonce: 12345 },
        transactions: Array.from({ length: 2900 }, () => spendTx(2, 2))
      }
      const raw = encodeBlock(block)
      const decode = await rate(() => decodeBlock(raw, 4_000_000), 1)
      const encode = await rate(() => encodeBlock(block), 1)
      const headers = Array.from({ length: 2000 }, (_, i) => ({ ...block.header, nonce: i }))
      const reply = encodeHeadersResponse(headers)
      const headersDecode = await rate(() => decodeSyncResponse(reply, 1_000_000, 2000, 16), headers.length)
      return [
        { bench: 'block_decode_1mb', value: round(decode, 1), unit: 'blocks/s', bytes: raw.length, transactions: block.transactions.length },
        { bench: 'block_encode_1mb', value: round(encode, 1), unit: 'blocks/s' },
        { bench: 'sync_headers_decode', value: round(headersDecode), unit: 'headers/s' }
      ]
    }
  },
  {
    name: 'merkle_proof_verify',
    group: 'core',
    async run () {
      // Proof cost grows with tree depth: a devnet block of 16 transactions
      // (depth 4) and a full block of 4,096 (depth 12).
      const measure = async (txCount: number): Promise<number> => {
        const leaves = Array.from({ length: txCount }, () => rand(32))
        const root = merkleRoot(leaves)
        const proofs = Array.from({ length: 256 }, (_, k) => { const i = (k * 7919) % txCount; return { i, leaf: leaves[i], branch: merkleBranch(leaves, i) } })
        return await rate(() => {
          for (const p of proofs) if (!verifyMerkleBranch(p.leaf, p.branch, p.i, root)) throw new Error('proof failed')
        }, proofs.length)
      }
      const small = await measure(16)
      const full = await measure(4096)
      // the raw reference: the same double SHA-256 through node:crypto
      const ab = new Uint8Array([...a, ...b])
      const pairRate = await rate(() => { for (let i = 0; i < 1000; i++) dsha256(ab) }, 1000)
      return [
        { bench: 'merkle_proof_verify', value: round(small), unit: 'proofs/s', depth: 4, mark: '>= 200000', reference: 'merkle_node_hash_node_crypto' },
        { bench: 'merkle_proof_verify_depth12', value: round(full), unit: 'proofs/s', depth: 12 },
        { bench: 'merkle_node_hash_node_crypto', value: round(pairRate), unit: 'nodes/s' }
      ]
    }
  },
  {
    name: 'bounded_cache_evict',
    group: 'core',
    async run () {
      // The coin cache's pattern (coin-cache.ts): a map at its bound of
      // 50,000, each insert evicting the oldest entry, a third of the inserts
      // also deleting a recent entry (a spend). The reference: the same with
      // the oldest found by a fresh iterator (map.keys().next()), which walks
      // the holes deleted entries leave at the front of V8's table.
      const BOUND = 50_000
      const measure = async (evict: (m: Map<number, number>) => () => void): Promise<number> => {
        const m = new Map<number, number>()
        const drop = evict(m)
        let i = 0
        for (; i < BOUND; i++) m.set(i, i)
        return await rate(() => {
          for (let k = 0; k < 1000; k++, i++) {
            m.set(i, i)
            if (i % 3 === 0) m.delete(i - 5)
            if (m.size > BOUND) drop()
          }
        }, 1000)
      }
      const cursor = await measure(m => { const o = new OldestFirst(m); return () => { o.evict() } })
      const fresh = await measure(m => () => { m.delete(m.keys().next().value as number) })
      return [
        { bench: 'bounded_cache_evict', value: round(cursor), unit: 'inserts/s', bound: BOUND, reference: 'bounded_cache_evict_fresh_iterator', ratio: round(cursor / fresh, 1) },
        { bench: 'bounded_cache_evict_fresh_iterator', value: round(fresh), unit: 'inserts/s', note: 'map.keys().next() per eviction, as before session 10' }
      ]
    }
  }
]
