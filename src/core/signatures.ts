// Which signatures a transaction must carry, given the outputs it spends.
// Pure: it only pairs each input's signature and public key with the digest
// they must verify against; the verification itself (native pool or noble)
// is the caller's. An input is authorised by a public key that hashes to
// the spent output's address and a signature over the transaction's sighash.
import { ValidationError } from './errors.js'
import { equalBytes } from './bytes.js'
import { hash160 } from './hash.js'
import { sighash } from './tx.js'
import type { Transaction } from './types.js'
import type { SignatureCheck } from '../crypto/verifier.js'

export type { SignatureCheck }

/**
 * One check per input, in input order. `spentAddresses[i]` is the address of
 * the output input i spends. Throws ValidationError('tx-pubkey-mismatch') when
 * a public key does not hash to its spent address: no signature can fix that.
 */
export function signatureChecks (tx: Transaction, spentAddresses: readonly Uint8Array[], networkId: string): SignatureCheck[] {
  if (spentAddresses.length !== tx.inputs.length) {
    throw new RangeError(`${spentAddresses.length} spent addresses given for ${tx.inputs.length} inputs`)
  }
  if (tx.inputs.length === 0) return []
  // Every input signs the same digest, so compute it once.
  const digest = sighash(tx, networkId)
  return tx.inputs.map((input, i) => {
    if (!equalBytes(hash160(input.publicKey), spentAddresses[i])) {
      throw new ValidationError('tx-pubkey-mismatch', `input ${i}: public key does not hash to the address of the output it spends`)
    }
    return { digest, signature: input.signature, publicKey: input.publicKey }
  })
}
