// A failure the node cannot go on after: a write to its data directory
// failed (disk full, read-only, I/O error). Bitcoin Core shuts down on a
// failed write rather than run on with memory ahead of disk; so does this
// node. The first report is logged once, with what failed and where; the
// node's parts stop taking work (see FullNode/SpvNode) and `minicoin node`
// stops the daemon and exits 1.
import type { Logger } from '../telemetry/logger.js'

export class FatalSignal {
  /** Resolves with the first fatal error (never rejects). */
  readonly promise: Promise<Error>
  private error: Error | undefined
  private resolve!: (err: Error) => void
  private readonly listeners: Array<(err: Error) => void> = []

  constructor (private readonly log: Logger) {
    this.promise = new Promise(resolve => { this.resolve = resolve })
  }

  get failed (): Error | undefined {
    return this.error
  }

  /** Reports a fatal error; only the first one counts. Safe to call from anywhere (never throws). */
  readonly report = (err: Error): void => {
    if (this.error !== undefined) return
    this.error = err
    this.log.error(`storage failure, the node stops: ${err.message}`, { err: err.name })
    for (const listener of this.listeners) {
      try {
        listener(err)
      } catch (listenerErr) {
        this.log.error('a fatal-error listener failed', { err: listenerErr })
      }
    }
    this.resolve(err)
  }

  onFatal (listener: (err: Error) => void): void {
    this.listeners.push(listener)
  }
}
