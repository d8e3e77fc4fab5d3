// The transactions a light node has proven: each with the verified Merkle
// proof that puts it in a block of the active header chain, and the peers
// that delivered it. A reorg can take that block off the active chain; such
// proofs are dropped (recheck) until a peer proves the transaction again in
// a block of the new chain.
//
// Indexed so that taking in a proof costs O(inputs + outputs), whatever the
// number already held: outputs by outpoint, spends by outpoint and
// transactions by address. With a ProofStore, proofs are written to the
// light node's database before they count, and read back (and verified
// again against the header chain) at the next start.
import { EventEmitter } from 'node:events'
import { toHex } from '../core/bytes.js'
import { ValidationError } from '../core/errors.js'
import { hash160 } from '../core/hash.js'
import type { NetworkParams } from '../core/params.js'
import { txid } from '../core/tx.js'
import type { HeaderChain } from './header-chain.js'
import { verifyProof, type VerifiedProof } from './proof-verifier.js'
import type { ProofStore } from './proof-store.js'

export interface ProvenTxEvents {
  /** A transaction proven for the first time (or again, in another block). */
  added: [proof: VerifiedProof]
  /** Proofs whose block left the active chain. */
  dropped: [proofs: VerifiedProof[]]
}

export interface ProvenOutput { address: Uint8Array, amount: bigint }

/** Bounded: a proof needs only a couple of independent witnesses. */
const MAX_WITNESSES = 8

export const outpointKey = (id: Uint8Array | string, index: number): string => (typeof id === 'string' ? id : toHex(id)) + ':' + index

/** The addresses a transaction touches: its outputs' and the hash160 of its inputs' keys. */
export function addressesOf (proof: VerifiedProof): Set<string> {
  const out = new Set<string>()
  for (const o of proof.tx.outputs) out.add(toHex(o.address))
  for (const i of proof.tx.inputs) out.add(toHex(hash160(i.publicKey)))
  return out
}

export class ProvenTransactions extends EventEmitter<ProvenTxEvents> {
  private readonly byTxid = new Map<string, VerifiedProof>()
  private readonly witnessesOf = new Map<string, Set<string>>()
  private readonly outputs = new Map<string, ProvenOutput>()
  private readonly spends = new Map<string, string>()
  private readonly byAddress = new Map<string, Set<string>>()
  /** The store deletions recheck started (awaited by flush). */
  private deleting: Promise<void> = Promise.resolve()

  constructor (private readonly headers: HeaderChain, private readonly store?: ProofStore) {
    super()
  }

  /**
   * Proofs kept by an earlier run, each verified again against the header
   * chain: those that fail or whose block left the active chain are deleted.
   */
  static async open (headers: HeaderChain, params: NetworkParams, store: ProofStore): Promise<ProvenTransactions> {
    const proven = new ProvenTransactions(headers, store)
    const { records, damaged } = await store.loadAll()
    const drop: Uint8Array[] = [...damaged]
    for (const r of records) {
      try {
        const v = verifyProof(r.proof, headers, params)
        proven.index(v)
        proven.witnessesOf.set(v.txidHex, new Set(r.witnesses))
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
        drop.push(txid(r.proof.tx))
      }
    }
    await store.write([], drop)
    return proven
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

  /** How many distinct peers delivered this transaction's proof. */
  witnesses (txidHex: string): number {
    return this.witnessesOf.get(txidHex)?.size ?? 0
  }

  /** The output at an outpoint, when a proven transaction created it. */
  outputAt (outpoint: string): ProvenOutput | undefined {
    return this.outputs.get(outpoint)
  }

  /** The proven transaction spending an outpoint. */
  spenderOf (outpoint: string): string | undefined {
    return this.spends.get(outpoint)
  }

  /** Proven transactions touching an address (hex hash160). */
  txidsOf (addressHex: string): ReadonlySet<string> {
    return this.byAddress.get(addressHex) ?? new Set()
  }

  private index (proof: VerifiedProof): void {
    const hex = proof.txidHex
    const known = this.byTxid.get(hex)
    if (known !== undefined) this.unindex(known)
    this.byTxid.set(hex, proof)
    proof.tx.outputs.forEach((o, i) => this.outputs.set(outpointKey(hex, i), o))
    for (const i of proof.tx.inputs) this.spends.set(outpointKey(i.prevTxid, i.prevIndex), hex)
    for (const a of addressesOf(proof)) {
      let set = this.byAddress.get(a)
      if (set === undefined) this.byAddress.set(a, set = new Set())
      set.add(hex)
    }
  }

  private unindex (proof: VerifiedProof): void {
    const hex = proof.txidHex
    this.byTxid.delete(hex)
    proof.tx.outputs.forEach((_, i) => this.outputs.delete(outpointKey(hex, i)))
    for (const i of proof.tx.inputs) {
      const k = outpointKey(i.prevTxid, i.prevIndex)
      if (this.spends.get(k) === hex) this.spends.delete(k)
    }
    for (const a of addressesOf(proof)) {
      const set = this.byAddress.get(a)
      set?.delete(hex)
      if (set?.size === 0) this.byAddress.delete(a)
    }
  }

  private witness (txidHex: string, peer: string | undefined): boolean {
    if (peer === undefined) return false
    let set = this.witnessesOf.get(txidHex)
    if (set === undefined) this.witnessesOf.set(txidHex, set = new Set())
    if (set.has(peer) || set.size >= MAX_WITNESSES) return false
    set.add(peer)
    return true
  }

  private isNew (proof: VerifiedProof): boolean {
    const known = this.byTxid.get(proof.txidHex)
    return known === undefined || known.entry !== proof.entry || !this.headers.isActive(known.entry)
  }

  /** Keeps a verified proof in memory; returns false when the same transaction was already proven in the same block. */
  add (proof: VerifiedProof, witness?: string): boolean {
    this.witness(proof.txidHex, witness)
    if (!this.isNew(proof)) return false
    this.index(proof)
    this.emit('added', proof)
    return true
  }

  /**
   * Keeps verified proofs delivered by `witness`: written to the store first
   * (when there is one), then counted. Returns the proofs that were new.
   */
  async addAll (proofs: VerifiedProof[], witness?: string): Promise<VerifiedProof[]> {
    const changed = proofs.filter(p => this.isNew(p) || (witness !== undefined && !(this.witnessesOf.get(p.txidHex)?.has(witness) ?? false)))
    if (this.store !== undefined && changed.length > 0) {
      await this.store.write(changed.map(p => {
        const witnesses = new Set(this.witnessesOf.get(p.txidHex))
        if (witness !== undefined) witnesses.add(witness)
        return { txid: p.txid, record: { proof: { blockHash: p.entry.hash, height: p.entry.height, index: p.index, branch: p.branch, tx: p.tx }, witnesses: [...witnesses] } }
      }))
    }
    const added: VerifiedProof[] = []
    for (const p of changed) if (this.add(p, witness)) added.push(p)
    return added
  }

  /** Drops every proof whose block is no longer on the active chain; returns them. */
  recheck (): VerifiedProof[] {
    const dropped: VerifiedProof[] = []
    for (const proof of this.byTxid.values()) if (!this.headers.isActive(proof.entry)) dropped.push(proof)
    for (const proof of dropped) {
      this.unindex(proof)
      this.witnessesOf.delete(proof.txidHex)
    }
    if (dropped.length > 0) {
      // a failed delete only leaves a record the next open verifies and drops
      if (this.store !== undefined) this.deleting = this.deleting.then(async () => await this.store?.write([], dropped.map(p => p.txid))).catch(() => {})
      this.emit('dropped', dropped)
    }
    return dropped
  }

  /** Resolves once the store holds what recheck dropped (tests, and a clean shutdown). */
  async flush (): Promise<void> {
    await this.deleting
  }

  /** Blocks on top of the proof's block, itself included (0 once it left the active chain). */
  confirmations (proof: VerifiedProof): number {
    return this.headers.confirmations(proof.entry)
  }
}
