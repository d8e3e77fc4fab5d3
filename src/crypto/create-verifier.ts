// Picks the signature verification backend for a node: native libsecp256k1
// worker threads when the binding loads, else the noble reference verifier.
import { LazyVerifierPool } from './lazy-verifier-pool.js'
import { NativeVerifierPool, loadNativeBinding, type NativeBinding } from './native-verifier.js'
import { NobleVerifier, type SignatureVerifier } from './verifier.js'
import { CoalescingVerifier } from './coalescing-verifier.js'

export type VerifierBackendChoice = 'auto' | 'native' | 'noble'

export interface CreateVerifierOptions {
  /** 'auto' (default): native, or noble with a warning if native cannot start. 'native' throws instead. */
  backend?: VerifierBackendChoice
  /** Worker threads of the native pool; default os.availableParallelism(). */
  threads?: number
  /** Where the fallback warning goes; default console.warn. */
  onWarning?: (message: string) => void
  /** Loads the calling thread's binding; injectable so tests can simulate a missing binary. */
  loadBinding?: () => NativeBinding
  /**
   * Start the worker threads on the first batch that needs them and stop them
   * after `idleMs` without one (LazyVerifierPool), instead of now, for good.
   * What a node uses: an idle node then has no verify threads (~10 MiB each).
   */
  lazy?: { idleMs?: number }
}

export async function createVerifier (options: CreateVerifierOptions = {}): Promise<SignatureVerifier> {
  const backend = options.backend ?? 'auto'
  if (backend === 'noble') return new NobleVerifier()

  try {
    const binding = (options.loadBinding ?? loadNativeBinding)()
    // Small batches made together (concurrent submissions) reach the workers as one.
    if (options.lazy !== undefined) {
      return new CoalescingVerifier(new LazyVerifierPool({ binding, threads: options.threads, idleMs: options.lazy.idleMs, onWarning: options.onWarning }))
    }
    // create() waits until every worker has loaded the binding too.
    return new CoalescingVerifier(await NativeVerifierPool.create({ binding, threads: options.threads }))
  } catch (err) {
    if (backend === 'native') {
      throw new Error(`native signature verifier unavailable: ${errorMessage(err)}`, { cause: err })
    }
    const warn = options.onWarning ?? ((message: string) => console.warn(message))
    warn(`native libsecp256k1 verifier unavailable (${errorMessage(err)}); falling back to @noble/secp256k1, which verifies roughly 40x slower`)
    return new NobleVerifier()
  }
}

function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
