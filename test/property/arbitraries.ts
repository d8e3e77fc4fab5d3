// Structured generators for the consensus and wire types: values that are
// well formed often enough to reach deep code paths, with edge cases (wrong
// lengths, extreme integers) mixed in, plus byte-level mutations of their
// encodings for decoders.
import fc from 'fast-check'
import type { Block, BlockHeader, Transaction, TxInput, TxOutput } from '../../src/core/types.js'
import type { ChainStatus, SyncRequest, SyncResponse } from '../../src/p2p/sync-messages.js'
import type { MerkleProof, SpvRequest, SpvResponse } from '../../src/p2p/spv-messages.js'

export const u32 = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 1000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) }
)

export const u64 = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: 10_000_000_000n }) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, 2_100_000_000_000_000n, 2_100_000_000_000_001n, (1n << 63n), (1n << 64n) - 1n) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }
)

/** Exactly n bytes, or (sometimes) a wrong length. */
export function bytesOf (n: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.uint8Array({ minLength: n, maxLength: n }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: n + 8 }) }
  )
}

export const hash = fc.uint8Array({ minLength: 32, maxLength: 32 })

export const publicKey = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(2, 3), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([p, x]) => Uint8Array.from([p, ...x])) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 70 }) }
)

export const txInput: fc.Arbitrary<TxInput> = fc.record({ prevTxid: bytesOf(32), prevIndex: u32, publicKey, signature: bytesOf(64) })

export const txOutput: fc.Arbitrary<TxOutput> = fc.record({ amount: u64, address: bytesOf(20) })

export const transaction: fc.Arbitrary<Transaction> = fc.oneof(
  // spends
  fc.record({
    version: fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: u32 }),
    inputs: fc.array(txInput, { minLength: 1, maxLength: 4 }),
    outputs: fc.array(txOutput, { maxLength: 4 }),
    lockTime: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: u32 }),
    coinbase: fc.oneof({ weight: 6, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }) })
  }),
  // coinbases
  fc.record({
    version: fc.constant<number>(1),
    inputs: fc.constant([] as TxInput[]),
    outputs: fc.array(txOutput, { maxLength: 3 }),
    lockTime: fc.constant<number>(0),
    coinbase: fc.uint8Array({ maxLength: 110 })
  })
)

export const bits = fc.oneof(
  fc.constantFrom(0x207fffff, 0x1e0fffff, 0x1d00ffff, 0x1f3fffff, 0, 0x00800000, 0x01003456, 0x22000001, 0x207fffff + 1),
  u32
)

export const header: fc.Arbitrary<BlockHeader> = fc.record({
  version: fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: u32 }),
  prevHash: bytesOf(32),
  merkleRoot: bytesOf(32),
  time: u32,
  bits,
  nonce: u32
})

export const block: fc.Arbitrary<Block> = fc.record({ header, transactions: fc.array(transaction, { maxLength: 4 }) })

export const chainStatus: fc.Arbitrary<ChainStatus> = fc.record({
  genesis: hash,
  tip: hash,
  height: u32,
  work: fc.oneof(fc.bigInt({ min: 0n, max: 1n << 80n }), fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }))
})

const stop = fc.oneof(fc.constant(new Uint8Array(0)), hash)

export const syncRequest: fc.Arbitrary<SyncRequest> = fc.oneof(
  fc.record({ kind: fc.constant('status' as const), status: chainStatus }),
  fc.record({ kind: fc.constant('getHeaders' as const), locator: fc.array(hash, { maxLength: 12 }), stop, max: u32 }),
  fc.record({ kind: fc.constant('getBlocks' as const), hashes: fc.array(hash, { maxLength: 12 }) })
)

export const errorText = fc.string({ unit: 'grapheme', maxLength: 40 })

export const syncResponse: fc.Arbitrary<SyncResponse> = fc.oneof(
  fc.record({ kind: fc.constant('status' as const), status: chainStatus }),
  fc.record({ kind: fc.constant('headers' as const), headers: fc.array(header, { maxLength: 6 }) }),
  fc.record({ kind: fc.constant('blocks' as const), blocks: fc.array(block, { maxLength: 3 }), notFound: fc.array(hash, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('error' as const), code: errorText, message: errorText })
)

export const spvRequest: fc.Arbitrary<SpvRequest> = fc.oneof(
  fc.record({ kind: fc.constant('getHeaders' as const), locator: fc.array(hash, { maxLength: 12 }), stop, max: u32 }),
  fc.record({ kind: fc.constant('getAddressHistory' as const), address: fc.uint8Array({ minLength: 20, maxLength: 20 }), fromHeight: u32, max: u32 }),
  fc.record({ kind: fc.constant('getTxProof' as const), txid: hash })
)

export const merkleProof: fc.Arbitrary<MerkleProof> = fc.record({
  blockHash: hash,
  height: u32,
  index: u32,
  branch: fc.array(hash, { maxLength: 8 }),
  tx: transaction
})

export const spvResponse: fc.Arbitrary<SpvResponse> = fc.oneof(
  fc.record({ kind: fc.constant('headers' as const), headers: fc.array(header, { maxLength: 6 }) }),
  fc.record({ kind: fc.constant('proofs' as const), proofs: fc.array(merkleProof, { maxLength: 3 }), more: fc.boolean() }),
  fc.record({ kind: fc.constant('error' as const), code: errorText, message: errorText })
)

interface Mutation { kind: 'flip' | 'set' | 'insert' | 'delete' | 'truncate' | 'append', at: number, byte: number }

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate', 'append'),
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 })
})

function applyMutation (bytes: Uint8Array, m: Mutation): Uint8Array {
  const a = [...bytes]
  const i = a.length === 0 ? 0 : m.at % a.length
  switch (m.kind) {
    case 'flip': if (a.length > 0) a[i] ^= 1 << (m.byte % 8); break
    case 'set': if (a.length > 0) a[i] = m.byte; break
    case 'insert': a.splice(i, 0, m.byte); break
    case 'delete': a.splice(i, 1); break
    case 'truncate': a.length = i; break
    case 'append': a.push(m.byte, m.at & 0xff); break
  }
  return Uint8Array.from(a)
}

/**
 * Bytes for a decoder: valid encodings of structured values, the same with a
 * few byte-level mutations, and plain random bytes.
 */
export function wireBytes<T> (value: fc.Arbitrary<T>, encode: (v: T) => Uint8Array): fc.Arbitrary<Uint8Array> {
  const encoded = value.map(v => {
    try {
      return encode(v)
    } catch {
      return new Uint8Array(0) // values the encoder refuses (e.g. wrong lengths in a fixed layout)
    }
  })
  return fc.oneof(
    { weight: 2, arbitrary: encoded },
    { weight: 4, arbitrary: fc.tuple(encoded, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([b, ms]) => ms.reduce(applyMutation, b)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) }
  )
}
