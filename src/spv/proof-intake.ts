// Merkle proofs a peer sent the light node: each verified against our
// headers (verifyProof) before it counts. Any provably invalid proof bans the
// peer and drops the whole reply; valid proofs of transactions we did not
// ask about cost per proof; proofs we cannot judge yet (a block we have no
// header for, or one off our active chain) are left out and make us sync
// headers from that peer.
import type { PeerId } from '@libp2p/interface'
import { equalBytes } from '../core/bytes.js'
import { ValidationError } from '../core/errors.js'
import { hash160 } from '../core/hash.js'
import type { NetworkParams } from '../core/params.js'
import type { Transaction } from '../core/types.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { MerkleProof } from '../p2p/spv-messages.js'
import type { HeaderChain } from './header-chain.js'
import { verifyProof, type VerifiedProof } from './proof-verifier.js'
import type { ProvenTransactions } from './proven-txs.js'
import type { SpvHeaderSync } from './spv-header-sync.js'
import type { SpvPeers } from './spv-peers.js'
import { proofsVerdict, type SpvVerdict } from './spv-verdicts.js'

/** The outcome of checking one reply's proofs. */
export interface CheckedProofs {
  verified: VerifiedProof[]
  /** Index of the first proof we could not judge yet (unknown or inactive block); proofs.length when none. */
  deferredAt: number
  /** Proofs found invalid (any one bans the peer). */
  rejected: number
  verdict?: SpvVerdict
}

function touches (tx: Transaction, address: Uint8Array): boolean {
  return tx.outputs.some(o => equalBytes(o.address, address)) || tx.inputs.some(i => equalBytes(hash160(i.publicKey), address))
}

/**
 * Verifies a reply's proofs against our headers, punishing nobody: the
 * verdict says what the peer earned. Proofs we cannot judge yet stop the
 * verified list at the first of them.
 */
export function checkProofs (proofs: MerkleProof[], headers: HeaderChain, params: NetworkParams, address?: Uint8Array): CheckedProofs {
  const verified: VerifiedProof[] = []
  let firstInvalid: ValidationError | undefined
  let rejected = 0
  let deferredAt = proofs.length
  let unrequested = 0
  proofs.forEach((proof, i) => {
    try {
      const v = verifyProof(proof, headers, params)
      if (address !== undefined && !touches(v.tx, address)) unrequested++
      else if (i < deferredAt) verified.push(v)
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      if (err.severity === 'reject') {
        rejected++
        firstInvalid ??= err
      } else if (i < deferredAt) {
        // not a failed proof, a deferred one: it is asked for again once our headers catch up
        deferredAt = i
      }
    }
  })
  return { verified, deferredAt, rejected, verdict: proofsVerdict(firstInvalid, unrequested) }
}

export interface ProofIntakeOptions {
  peers: SpvPeers
  headerSync: SpvHeaderSync
  headers: HeaderChain
  proven: ProvenTransactions
  params: NetworkParams
  metrics?: NodeMetrics
}

export class ProofIntake {
  constructor (private readonly o: ProofIntakeOptions) {}

  /** Checks a reply's proofs and applies the verdict; undefined when the peer was banned. */
  judge (peer: PeerId, proofs: MerkleProof[], address?: Uint8Array): CheckedProofs | undefined {
    const checked = checkProofs(proofs, this.o.headers, this.o.params, address)
    if (checked.rejected > 0) this.o.metrics?.spvProofsRejectedTotal.inc(checked.rejected)
    if (checked.verdict !== undefined) this.o.peers.judge(peer.toString(), checked.verdict)
    if (checked.verdict?.kind === 'ban') return undefined
    if (checked.deferredAt < proofs.length) this.o.headerSync.catchUpWith(peer)
    return checked
  }

  /** Checks proofs and keeps the valid ones in memory only (tools and tests; scans use take); undefined when the peer was banned. */
  accept (peer: PeerId, proofs: MerkleProof[], address?: Uint8Array): VerifiedProof[] | undefined {
    const checked = this.judge(peer, proofs, address)
    if (checked === undefined) return undefined
    for (const v of checked.verified) {
      this.o.metrics?.spvProofsVerifiedTotal.inc()
      this.o.proven.add(v, peer.toString())
    }
    return checked.verified
  }

  /** Checks proofs and keeps the valid ones, written to the proof store before they count. */
  async take (peer: PeerId, proofs: MerkleProof[], address?: Uint8Array): Promise<CheckedProofs | undefined> {
    const checked = this.judge(peer, proofs, address)
    if (checked === undefined) return undefined
    this.o.metrics?.spvProofsVerifiedTotal.inc(checked.verified.length)
    await this.o.proven.addAll(checked.verified, peer.toString())
    return checked
  }
}
