// Event delivery where one listener's failure never skips the others: the
// chain's connect/disconnect/tip events keep the mempool, the wallet and the
// miner in step with the chain, so every one of them must hear every event.
import type { EventEmitter } from 'node:events'

export type ListenerErrorHandler = (event: string, err: unknown) => void

/**
 * Calls every listener of `event` in order, each in its own try/catch; a
 * listener that throws is reported to `onError` and the rest still run.
 * Returns whether there were listeners (like EventEmitter.emit).
 */
export function emitToEach (emitter: EventEmitter, event: string | symbol, args: unknown[], onError: ListenerErrorHandler): boolean {
  // rawListeners: a copy, including once() wrappers (calling one removes it)
  const listeners = emitter.rawListeners(event) as Array<(...a: unknown[]) => unknown>
  for (const listener of listeners) {
    try {
      const result = listener.apply(emitter, args)
      // an async listener's rejection is reported the same way, not left unhandled
      if (result instanceof Promise) result.catch(err => { reportSafely(onError, String(event), err) })
    } catch (err) {
      reportSafely(onError, String(event), err)
    }
  }
  return listeners.length > 0
}

function reportSafely (onError: ListenerErrorHandler, event: string, err: unknown): void {
  try {
    onError(event, err)
  } catch {
    // the reporter itself failed: nothing better to do than carry on
  }
}

/** Default report when nobody subscribed to listener errors. */
export function logListenerError (source: string): ListenerErrorHandler {
  return (event, err) => {
    process.stderr.write(`${source}: a '${event}' listener failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  }
}
