// The transactions a light node has proven: each with the verified Merkle
// proof that puts it in a block of the active header chain. A reorg can take
// that block off the active chain; such proofs are dropped (recheck) until a
// peer proves the transaction again in a block of the new chain.
import { EventEmitter } from 'node:events'
import type { HeaderChain } from './header-chain.js'
import type { VerifiedProof } from './proof-verifier.js'

export interface ProvenTxEvents {
  /** A transaction proven for the first time (or again, in another block). */
  added: [proof: VerifiedProof]
  /** Proofs whose block left the active chain. */
  dropped: [proofs: VerifiedProof[]]
}

export class ProvenTransactions extends EventEmitter<ProvenTxEvents> {
  private readonly byTxid = new Map<string, VerifiedProof>()

  constructor (private readonly headers: HeaderChain) {
    super()
  }

  get size (): number {
    return this.byTxid.size
  }

  get (txidHex: string): VerifiedProof | undefined {
    return this.byTxid.get(txidHex)
  }

  has (txidHex: string): boolean {
    return this.byTxid.has(txidHex)
  }

  all (): VerifiedProof[] {
    return [...this.byTxid.values()]
  }

  /** Keeps a verified proof; returns false when the same transaction was already proven in the same block. */
  add (proof: VerifiedProof): boolean {
    const known = this.byTxid.get(proof.txidHex)
    if (known !== undefined && known.entry === proof.entry && this.headers.isActive(known.entry)) return false
    this.byTxid.set(proof.txidHex, proof)
    this.emit('added', proof)
    return true
  }

  /** Drops every proof whose block is no longer on the active chain; returns them. */
  recheck (): VerifiedProof[] {
    const dropped: VerifiedProof[] = []
    for (const [id, proof] of this.byTxid) {
      if (!this.headers.isActive(proof.entry)) {
        this.byTxid.delete(id)
        dropped.push(proof)
      }
    }
    if (dropped.length > 0) this.emit('dropped', dropped)
    return dropped
  }

  /** Blocks on top of the proof's block, itself included (0 once it left the active chain). */
  confirmations (proof: VerifiedProof): number {
    return this.headers.confirmations(proof.entry)
  }
}
