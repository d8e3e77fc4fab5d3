// Which signatures a transaction must carry, given the outputs it spends.
// Pure: it only pairs each input's signature and public key with the digest
// they must verify against; the verification itself (native pool or noble)
// is the caller's. An input is authorised by a public key that hashes to
// the spent output's address and a signature over the transaction's sighash.
import { ValidationError } from './errors.js'
import { equalBytes } from './bytes.js'
import { hash160 } from './hash.js'
import { hash160KeyInto, KEY_BYTES } from './hash160-key.js'
import { sighash } from './tx.js'
import type { Transaction } from './types.js'
import type { SignatureCheck } from '../crypto/verifier.js'

export type { SignatureCheck }

/**
 * One check per input, in input order: each input's signature and key against
 * the transaction's signature hash. Needs no chain state, so a block's
 * signatures can be verified while its inputs are still being looked up.
 */
export function inputSignatureChecks (tx: Transaction, networkId: string): SignatureCheck[] {
  if (tx.inputs.length === 0) return []
  // Every input signs the same digest, so compute it once.
  const digest = sighash(tx, networkId)
  const checks: SignatureCheck[] = new Array(tx.inputs.length)
  for (let i = 0; i < checks.length; i++) checks[i] = { digest, signature: tx.inputs[i].signature, publicKey: tx.inputs[i].publicKey }
  return checks
}

// a key's hash is compared at once: one 20-byte array for all of them
// (a block of 3,000 transactions hashed 6,000 keys into fresh arrays)
const keyHash = new Uint8Array(20)

/**
 * An input is authorised only by a key that hashes to the spent output's
 * address. Throws ValidationError('tx-pubkey-mismatch'): no signature can fix that.
 */
export function checkInputOwners (tx: Transaction, spentAddresses: readonly Uint8Array[]): void {
  if (spentAddresses.length !== tx.inputs.length) {
    throw new RangeError(`${spentAddresses.length} spent addresses given for ${tx.inputs.length} inputs`)
  }
  // inputs signed by the same key (coins of one address) hash it once
  let lastKey: Uint8Array | undefined
  let lastHash: Uint8Array | undefined
  for (let i = 0; i < tx.inputs.length; i++) {
    const publicKey = tx.inputs[i].publicKey
    if (lastKey === undefined || !equalBytes(lastKey, publicKey)) {
      lastKey = publicKey
      lastHash = publicKey.length === KEY_BYTES ? hash160KeyInto(publicKey, keyHash) : hash160(publicKey)
    }
    if (!equalBytes(lastHash as Uint8Array, spentAddresses[i])) {
      throw new ValidationError('tx-pubkey-mismatch', `input ${i}: public key does not hash to the address of the output it spends`)
    }
  }
}

/**
 * The checks a transaction must pass given the outputs it spends:
 * `spentAddresses[i]` is the address of the output input i spends.
 */
export function signatureChecks (tx: Transaction, spentAddresses: readonly Uint8Array[], networkId: string): SignatureCheck[] {
  checkInputOwners(tx, spentAddresses)
  return inputSignatureChecks(tx, networkId)
}
