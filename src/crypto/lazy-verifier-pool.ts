// A native verifier whose worker threads exist only while there is work for
// them. Each worker costs ~10 MiB of RSS and ~40 ms of CPU to start (its own
// V8 isolate plus libsecp256k1); a node verifies one- and two-input
// transactions in its own thread (the pool's inline path) and needs the
// workers only for blocks and initial sync. So: started on the first batch
// too large for the calling thread, stopped again after `idleMs` without one.
import { NativeVerifierPool, verifyNative, type NativeBinding, type NativeVerifierPoolOptions } from './native-verifier.js'
import type { SignatureCheck, SignatureVerifier } from './verifier.js'

export interface LazyVerifierPoolOptions extends Omit<NativeVerifierPoolOptions, 'binding'> {
  binding: NativeBinding
  /** Workers stop after this long without a batch for them. Default 60 s. */
  idleMs?: number
  /** Told once if the workers cannot start; batches are then verified in the calling thread. */
  onWarning?: (message: string) => void
}

const DEFAULT_INLINE_BELOW = 16
const DEFAULT_IDLE_MS = 60_000

export class LazyVerifierPool implements SignatureVerifier {
  readonly backend = 'native' as const
  private readonly inlineBelow: number
  private readonly idleMs: number
  private pool: Promise<NativeVerifierPool | null> | null = null
  private busy = 0
  private idleTimer: NodeJS.Timeout | undefined
  private workersFailed = false
  private closed = false

  constructor (private readonly options: LazyVerifierPoolOptions) {
    this.inlineBelow = options.inlineBelow ?? DEFAULT_INLINE_BELOW
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS
  }

  /** Whether worker threads are running (or starting) now. */
  get workersRunning (): boolean {
    return this.pool !== null
  }

  async verifyBatch (checks: SignatureCheck[], signal?: AbortSignal): Promise<boolean[]> {
    if (this.closed) throw new Error('LazyVerifierPool is closed: verifyBatch called after close()')
    if (checks.length < this.inlineBelow || this.workersFailed) return this.verifyHere(checks)
    this.busy++
    clearTimeout(this.idleTimer)
    try {
      const pool = await this.workers()
      return pool === null ? this.verifyHere(checks) : await pool.verifyBatch(checks, signal)
    } finally {
      if (--this.busy === 0 && !this.closed) this.scheduleStop()
    }
  }

  async close (): Promise<void> {
    this.closed = true
    clearTimeout(this.idleTimer)
    await this.stopWorkers()
  }

  private verifyHere (checks: SignatureCheck[]): boolean[] {
    return checks.map(c => verifyNative(this.options.binding, c))
  }

  private async workers (): Promise<NativeVerifierPool | null> {
    this.pool ??= NativeVerifierPool.create({ ...this.options, inlineBelow: this.inlineBelow }).catch((err: unknown) => {
      // The binding works in this thread (it was loaded to build this pool), so
      // verifying here is correct, only slower; never a reason to reject a block.
      this.workersFailed = true
      this.pool = null
      const warn = this.options.onWarning ?? ((m: string) => console.warn(m))
      warn(`signature verify workers could not start (${err instanceof Error ? err.message : String(err)}); verifying in the main thread`)
      return null
    })
    return await this.pool
  }

  private scheduleStop (): void {
    clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => { if (this.busy === 0) void this.stopWorkers() }, this.idleMs)
    this.idleTimer.unref()
  }

  private async stopWorkers (): Promise<void> {
    const pool = this.pool
    this.pool = null
    const started = await pool
    await started?.close()
  }
}
