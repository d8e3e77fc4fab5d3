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

interface Waiting {
  checks: SignatureCheck[]
  resolve: (results: boolean[]) => void
  reject: (err: unknown) => void
}

export class CoalescingVerifier implements SignatureVerifier {
  readonly backend: SignatureVerifier['backend']
  private readonly directFrom: number
  private readonly flushAt: number
  private waiting: Waiting[] = []
  private queued = 0
  private scheduled = false

  constructor (readonly inner: SignatureVerifier, options: CoalescingOptions = {}) {
    this.backend = inner.backend
    this.directFrom = Math.max(1, options.directFrom ?? 64)
    this.flushAt = Math.max(1, options.flushAt ?? 128)
  }

  async verifyBatch (checks: SignatureCheck[], signal?: AbortSignal): Promise<boolean[]> {
    if (checks.length === 0) return []
    // (a coalesced batch is shared with other callers: it is not cancelled for one of them)
    if (checks.length >= this.directFrom) return await this.inner.verifyBatch(checks, signal)
    return await new Promise<boolean[]>((resolve, reject) => {
      this.waiting.push({ checks, resolve, reject })
      this.queued += checks.length
      if (this.queued >= this.flushAt) {
        this.flush()
      } else if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => {
          this.scheduled = false
          this.flush()
        })
      }
    })
  }

  /** Sends everything queued as one batch and hands each caller its own results. */
  private flush (): void {
    const group = this.waiting
    if (group.length === 0) return
    this.waiting = []
    this.queued = 0
    const all: SignatureCheck[] = []
    for (const w of group) for (const c of w.checks) all.push(c)
    this.inner.verifyBatch(all).then(results => {
      let at = 0
      for (const w of group) {
        w.resolve(results.slice(at, at + w.checks.length))
        at += w.checks.length
      }
    }, err => {
      for (const w of group) w.reject(err)
    })
  }

  async close (): Promise<void> {
    this.flush()
    await this.inner.close()
  }
}
