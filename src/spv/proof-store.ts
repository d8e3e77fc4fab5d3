// The light node's database of verified Merkle proofs (a LevelDB of its own
// next to the header chain), so a restart does not have to fetch and verify
// the wallet's whole history again. A record is only a cache of something a
// peer proved: on open every proof is verified again against the header
// chain, and one whose block is no longer on the active chain is dropped.
import { ClassicLevel } from 'classic-level'
import { decodeMerkleProof, encodeMerkleProof, type MerkleProof } from '../p2p/spv-messages.js'

export interface StoredProof {
  proof: MerkleProof
  /** Peers that delivered this proof (the cross-check of issue 10 counts them). */
  witnesses: string[]
}

const MAX_WITNESSES = 8

function encodeRecord (r: StoredProof): Uint8Array {
  const proof = encodeMerkleProof(r.proof)
  const witnesses = new TextEncoder().encode(JSON.stringify(r.witnesses.slice(0, MAX_WITNESSES)))
  const out = new Uint8Array(4 + proof.length + witnesses.length)
  new DataView(out.buffer).setUint32(0, proof.length)
  out.set(proof, 4)
  out.set(witnesses, 4 + proof.length)
  return out
}

function decodeRecord (v: Uint8Array, maxBytes: number): StoredProof {
  const length = new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0)
  if (length > v.length - 4) throw new Error('truncated proof record')
  const proof = decodeMerkleProof(v.subarray(4, 4 + length), maxBytes)
  const parsed = JSON.parse(new TextDecoder().decode(v.subarray(4 + length))) as unknown
  const witnesses = Array.isArray(parsed) ? parsed.filter((w): w is string => typeof w === 'string').slice(0, MAX_WITNESSES) : []
  return { proof, witnesses }
}

export class ProofStore {
  private readonly db: ClassicLevel<Uint8Array, Uint8Array>

  private constructor (location: string, private readonly maxProofBytes: number) {
    this.db = new ClassicLevel<Uint8Array, Uint8Array>(location, { keyEncoding: 'view', valueEncoding: 'view' })
  }

  static async open (location: string, maxProofBytes: number): Promise<ProofStore> {
    const store = new ProofStore(location, maxProofBytes)
    await store.db.open()
    return store
  }

  async close (): Promise<void> {
    await this.db.close()
  }

  /** Every stored record; records that do not decode are returned as `damaged` (their keys) to be deleted. */
  async loadAll (): Promise<{ records: StoredProof[], damaged: Uint8Array[] }> {
    const records: StoredProof[] = []
    const damaged: Uint8Array[] = []
    for await (const [k, v] of this.db.iterator()) {
      try {
        records.push(decodeRecord(v, this.maxProofBytes))
      } catch {
        damaged.push(k)
      }
    }
    return { records, damaged }
  }

  /** One batch: proofs to keep (keyed by txid) and txids to forget. */
  async write (put: Array<{ txid: Uint8Array, record: StoredProof }>, del: Uint8Array[] = []): Promise<void> {
    if (put.length === 0 && del.length === 0) return
    await this.db.batch([
      ...put.map(p => ({ type: 'put' as const, key: p.txid, value: encodeRecord(p.record) })),
      ...del.map(k => ({ type: 'del' as const, key: k }))
    ])
  }
}
