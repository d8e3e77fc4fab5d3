// A block's signatures, verified once: when the block connects, or earlier.
// Signatures need no chain state, so a node downloading many blocks starts
// verifying each as soon as it arrives (preverify) while earlier blocks
// still connect; connecting then takes the result instead of verifying
// again. Keyed by the Block object: blocks are never mutated after decoding,
// and a block connected from storage or from any other object is verified
// from scratch, so every signature is checked against the bytes that connect.
import { setMaxListeners } from 'node:events'
import type { NetworkParams } from '../core/params.js'
import type { Block } from '../core/types.js'
import { inputSignatureChecks, type SignatureCheck } from '../core/signatures.js'
import type { SignatureVerifier } from '../crypto/verifier.js'
import type { VerifiedTxs } from './verified-txs.js'
import { txid } from '../core/tx.js'

/** Signature checks per message to the verifier: large enough to amortise a round trip, small enough to start early. */
const VERIFY_SLICE = 512

/** Settles with the index of the first transaction with a bad signature, or -1. */
export type SignatureVerdict = Promise<number>

const early = new WeakMap<Block, { verifier: SignatureVerifier, verdict: SignatureVerdict, cancel: AbortController }>()

/**
 * Verifies every input signature of the block, but those of transactions in
 * `known` (verified on their way into the mempool). Slices go to the
 * verifier as their digests are computed, so the workers start on the first
 * while this thread still hashes the rest.
 */
export function verifyBlockSignatures (block: Block, verifier: SignatureVerifier, p: NetworkParams, known?: VerifiedTxs, signal?: AbortSignal): SignatureVerdict {
  const owner: number[] = []
  const slices: Array<Promise<boolean[]>> = []
  let slice: SignatureCheck[] = []
  block.transactions.forEach((tx, i) => {
    if (known !== undefined && tx.inputs.length > 0 && known.take(txid(tx))) return
    for (const c of inputSignatureChecks(tx, p.id)) { slice.push(c); owner.push(i) }
    if (slice.length >= VERIFY_SLICE) { slices.push(verifier.verifyBatch(slice, signal)); slice = [] }
  })
  if (slice.length > 0) slices.push(verifier.verifyBatch(slice, signal))
  const verdict = Promise.all(slices).then(parts => {
    const bad = parts.flat().indexOf(false)
    return bad === -1 ? -1 : owner[bad]
  })
  // whoever takes it observes it; until then a failure must not be unhandled
  verdict.catch(() => {})
  return verdict
}

/**
 * Starts verifying a block that is expected to connect soon. It may run
 * before the block's stateless checks (checkBlock), which the caller then
 * runs meanwhile; a block that fails them is cancelled (cancelPreverify).
 */
export function preverifyBlock (block: Block, verifier: SignatureVerifier, p: NetworkParams, known?: VerifiedTxs): void {
  if (early.has(block)) return
  const cancel = new AbortController()
  // one abort listener per slice in flight, as many as the block has slices
  // (bounded by its size): not the leak Node's default limit of 10 warns of
  setMaxListeners(0, cancel.signal)
  early.set(block, { verifier, verdict: verifyBlockSignatures(block, verifier, p, known, cancel.signal), cancel })
}

/** Stops an early verification of a block that will not connect: the workers skip its checks not yet started. */
export function cancelPreverify (block: Block): void {
  const started = early.get(block)
  if (started === undefined) return
  early.delete(block)
  started.cancel.abort()
}

/** The block's verdict: the early one if this verifier started it, else verified now. */
export function blockSignatureVerdict (block: Block, verifier: SignatureVerifier, p: NetworkParams, known?: VerifiedTxs): SignatureVerdict {
  const started = early.get(block)
  early.delete(block)
  return started !== undefined && started.verifier === verifier ? started.verdict : verifyBlockSignatures(block, verifier, p, known)
}
