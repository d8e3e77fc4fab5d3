import { type Bench } from './harness.js'
import { rate, round } from './harness.js'
import { decodeTx, encodeTx } from '../src/core/encoding.js'
import { checkTransaction } from '../src/core/validate.js'
import { txid } from '../src/core/tx.js'
import { regtest } from '../src/core/params.js'
import { wire } from '../src/core/wire/schema.js'
import { merkleBranch, merkleRoot, verifyMerkleBranch } from '../src/core/merkle.js'
import { dsha256 } from '../src/core/hash.js'
import { spendTx, rand } from './support/core-fixtures.js'

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
  }
]
