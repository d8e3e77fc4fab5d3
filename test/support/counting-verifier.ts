// A verifier that counts the signature checks it was given (and the signal
// of each batch), so tests can see which signatures were verified again.
import { NobleVerifier, type SignatureCheck, type SignatureVerifier } from '../../src/crypto/verifier.js'

export class CountingVerifier implements SignatureVerifier {
  readonly backend = 'noble' as const
  checked = 0
  /** The signal each batch was given. */
  signals: Array<AbortSignal | undefined> = []
  private readonly inner = new NobleVerifier()
  async verifyBatch (checks: SignatureCheck[], signal?: AbortSignal): Promise<boolean[]> {
    this.checked += checks.length
    this.signals.push(signal)
    return await this.inner.verifyBatch(checks)
  }

  async close (): Promise<void> {}
}
