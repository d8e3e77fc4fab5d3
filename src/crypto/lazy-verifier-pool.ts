// A native verifier whose worker threads exist only while there is work for
// them. Each worker costs ~10 MiB of RSS and ~40 ms of CPU to start (its own
// V8 isolate plus libsecp256k1); a node verifies one- and two-input
// transactions in its own thread (the pool's inline path) and needs the
// workers only for blocks and initial sync. So: started on the first batch
// too large for the calling thread, stopped again after `idleMs` without one.
//
// "Too large" is `startFrom` checks (default 256, ~13 ms here), not the pool's
// `inlineBelow`: concurrent API submissions reach this pool coalesced into
// batches of ~128 one-signature checks, and starting two workers for those
// cost more CPU (~0.3-0.7 ms per transaction of a 500-transaction burst, the
// workers' isolates, binding and first GCs) than verifying them here
// (~50 µs each); the burst also waited on the start (BENCHMARKS.md, session
// 6). Small batches start the workers only when they keep coming: once
// `startAfterChecks` (default 2,000, ~100 ms of this thread) were verified
// here within one second, which is more than the start costs. Once running,
// the workers take every batch from `inlineBelow` up, as before.
//
// A caller that knows many signatures are coming (an initial sync) starts
// them ahead of the first batch (prepare).
//
// A large batch that finds no worker ready does not sit waiting for their
// start (~100-250 ms on a busy 2-core machine): this thread verifies it, 64
// checks per turn of the event loop, and hands whatever is left to the
// workers once they are ready.
import { NativeVerifierPool, verifyNative, type NativeBinding, type NativeVerifierPoolOptions } from './native-verifier.js'
import { type SignatureCheck, type SignatureVerifier, VerifyCancelled } from './verifier.js'

export interface LazyVerifierPoolOptions extends Omit<NativeVerifierPoolOptions, 'binding'> {
  binding: NativeBinding
  /** Workers stop after this long without a batch for them. Default 60 s. */
  idleMs?: number
  /** Told once if the workers cannot start; batches are then verified in the calling thread. */
  onWarning?: (message: string) => void
  /** While no worker runs, smaller batches are verified in the calling thread. Default 256. */
  startFrom?: number
  /** ...unless this many checks were verified there within one second: then the workers start. Default 2,000. */
  startAfterChecks?: number
  /** Clock for that second (ms); tests inject one. */
  now?: () => number
}

const DEFAULT_INLINE_BELOW = 16
const DEFAULT_IDLE_MS = 60_000
const DEFAULT_START_FROM = 256
const DEFAULT_START_AFTER_CHECKS = 2_000
const LOAD_WINDOW_MS = 1_000
const SLICE_WHILE_STARTING = 64

export class LazyVerifierPool implements SignatureVerifier {
  readonly backend = 'native' as const
  private readonly inlineBelow: number
  private readonly idleMs: number
  private readonly startFrom: number
  private readonly startAfterChecks: number
  private readonly now: () => number
  /** Checks verified in the calling thread since `windowStart` while no worker ran. */
  private inlineChecks = 0
  private windowStart = -Infinity
  private pool: Promise<NativeVerifierPool | null> | null = null
  /** The last pool whose workers became ready; current only while `pool` is set (`pool` is set from the start on). */
  private running: NativeVerifierPool | null = null
  private busy = 0
  private idleTimer: NodeJS.Timeout | undefined
  private workersFailed = false
  private closed = false

  constructor (private readonly options: LazyVerifierPoolOptions) {
    this.inlineBelow = options.inlineBelow ?? DEFAULT_INLINE_BELOW
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS
    this.startFrom = Math.max(this.inlineBelow, options.startFrom ?? DEFAULT_START_FROM)
    this.startAfterChecks = options.startAfterChecks ?? DEFAULT_START_AFTER_CHECKS
    this.now = options.now ?? (() => performance.now())
  }

  /** Whether worker threads are running (or starting) now. */
  get workersRunning (): boolean {
    return this.pool !== null
  }

  /** Whether the workers have started and take batches now. */
  get workersReady (): boolean {
    return this.running !== null && this.pool !== null
  }

  async verifyBatch (checks: SignatureCheck[], signal?: AbortSignal): Promise<boolean[]> {
    if (this.closed) throw new Error('LazyVerifierPool is closed: verifyBatch called after close()')
    if (checks.length < this.inlineBelow || this.workersFailed) return this.verifyHere(checks)
    if ((this.running === null || this.pool === null) && checks.length < this.startFrom) {
      // not worth a wait for the workers' start: here, and start them if this keeps up
      if (this.busyHere(checks.length)) this.startInBackground()
      return this.verifyHere(checks)
    }
    this.busy++
    clearTimeout(this.idleTimer)
    try {
      if (!this.workersReady) return await this.verifyWhileStarting(checks, signal)
      const pool = await this.workers()
      return pool === null ? this.verifyHere(checks) : await pool.verifyBatch(checks, signal)
    } finally {
      if (--this.busy === 0 && !this.closed) this.scheduleStop()
    }
  }

  /**
   * Starts the workers before any batch needs them: a sync of many small
   * blocks would otherwise verify its first few thousand signatures in the
   * calling thread, in turn with connecting blocks, while a core sat idle
   * (the first ~0.7 s of ibd_sync_tx's 50,000 transactions). They stop after
   * idleMs unless batches come.
   */
  prepare (): void {
    if (this.closed || this.workersFailed) return
    this.startInBackground()
  }

  async close (): Promise<void> {
    this.closed = true
    clearTimeout(this.idleTimer)
    await this.stopWorkers()
  }

  /** Counts `count` more checks for this thread; true once they exceed startAfterChecks within one window. */
  private busyHere (count: number): boolean {
    const now = this.now()
    if (now - this.windowStart >= LOAD_WINDOW_MS) {
      this.windowStart = now
      this.inlineChecks = 0
    }
    this.inlineChecks += count
    return this.inlineChecks > this.startAfterChecks
  }

  /** Starts the workers without a batch waiting on them; they stop again after idleMs unless batches come. */
  private startInBackground (): void {
    if (this.pool !== null) return
    void this.workers().then(() => { if (this.busy === 0 && !this.closed) this.scheduleStop() })
  }

  /** Verifies from the front here, a slice per turn, until the workers are ready; they get the rest. */
  private async verifyWhileStarting (checks: SignatureCheck[], signal?: AbortSignal): Promise<boolean[]> {
    let started: NativeVerifierPool | null | undefined
    void this.workers().then(pool => { started = pool })
    const results: boolean[] = []
    let at = 0
    while (at < checks.length && started === undefined) {
      if (signal?.aborted === true) throw new VerifyCancelled()
      const end = Math.min(at + SLICE_WHILE_STARTING, checks.length)
      for (; at < end; at++) results.push(verifyNative(this.options.binding, checks[at]))
      // a turn of the event loop: other work runs, and the start can resolve
      if (at < checks.length) await new Promise(resolve => setImmediate(resolve))
    }
    if (at === checks.length) return results
    const rest = checks.slice(at)
    const verdicts = started === null || started === undefined ? this.verifyHere(rest) : await started.verifyBatch(rest, signal)
    for (const v of verdicts) results.push(v)
    return results
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
    }).then(pool => {
      this.running = pool
      return pool
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
    this.running = null
    const started = await pool
    await started?.close()
  }
}
