// Many small batches become one large one. A transaction submitted alone has
// one or two signatures: too few to be worth a worker round trip, so the pool
// verifies them in the calling thread. When hundreds arrive at once (a client
// submitting concurrently, a peer relaying a burst), that leaves the worker
// threads idle and the event loop verifying. This wrapper queues small batches
// made in the same turn of the event loop and hands them to the pool as one:
// alone they still run inline (one setImmediate later), together they are
// spread over the workers, and as soon as `flushAt` checks are queued they are
// sent, so the workers start while the caller goes on checking the rest.
// Every check is still verified; only who verifies it and when changes.
import type { SignatureCheck, SignatureVerifier } from './verifier.js'

export interface CoalescingOptions {
  /** Batches this large or larger pass straight through. Default 64. */
  directFrom?: number
  /** Queued checks sent at once, without waiting for the turn to end. Default 128. */
  flushAt?: number
}

/** The checks queued for one batch, and that batch's verdicts once verified. */
interface Group {
  checks: SignatureCheck[]
  results: Promise<boolean[]>
  resolve: (results: boolean[]) => void
  reject: (err: unknown) => void
}

export class CoalescingVerifier implements SignatureVerifier {
  readonly backend: SignatureVerifier['backend']
  private readonly directFrom: number
  private readonly flushAt: number
  /** The batch being filled, if any. */
  private group: Group | undefined
  private scheduled = false
  private readonly flushLater = (): void => {
    this.scheduled = false
    this.flush()
  }

  constructor (readonly inner: SignatureVerifier, options: CoalescingOptions = {}) {
    this.backend = inner.backend
    this.directFrom = Math.max(1, options.directFrom ?? 64)
    this.flushAt = Math.max(1, options.flushAt ?? 128)
  }

  // Not an async function: a caller waits on its batch's one promise through
  // one `then` (no promise, closures or record of its own to resolve, and no
  // suspended frame), one per transaction when a burst is accepted.
  verifyBatch (checks: SignatureCheck[], signal?: AbortSignal): Promise<boolean[]> {
    if (checks.length === 0) return Promise.resolve([])
    // (a coalesced batch is shared with other callers: it is not cancelled for one of them)
    if (checks.length >= this.directFrom) return this.innerBatch(checks, signal)
    // the caller's checks go straight into the batch being filled
    const group = this.group ?? this.open()
    const from = group.checks.length
    for (let i = 0; i < checks.length; i++) group.checks.push(checks[i])
    if (group.checks.length >= this.flushAt) {
      this.flush()
    } else if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flushLater)
    }
    const to = group.checks.length
    return group.results.then(results => results.slice(from, to))
  }

  private open (): Group {
    let resolve!: (results: boolean[]) => void
    let reject!: (err: unknown) => void
    const results = new Promise<boolean[]>((res, rej) => { resolve = res; reject = rej })
    const group: Group = { checks: [], results, resolve, reject }
    this.group = group
    return group
  }

  /** Sends everything queued as one batch; each caller takes its own part of the results. */
  private flush (): void {
    const group = this.group
    if (group === undefined) return
    this.group = undefined
    this.innerBatch(group.checks).then(results => {
      // a short answer would leave a caller's checks without a verdict
      if (results.length !== group.checks.length) group.reject(new Error(`verifier answered ${results.length} results for ${group.checks.length} checks`))
      else group.resolve(results)
    }, group.reject)
  }

  /** The inner verifier's promise; a synchronous throw becomes its rejection, as from an async function. */
  private innerBatch (checks: SignatureCheck[], signal?: AbortSignal): Promise<boolean[]> {
    try {
      return this.inner.verifyBatch(checks, signal)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  prepare (): void {
    this.inner.prepare?.()
  }

  async close (): Promise<void> {
    this.flush()
    await this.inner.close()
  }
}
