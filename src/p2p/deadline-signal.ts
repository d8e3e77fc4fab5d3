// A signal that aborts when its parent does or after `ms`, whichever comes
// first: the deadline of one request to a peer.
//
// Not AbortSignal.any([parent, AbortSignal.timeout(ms)]). A composite holds
// its sources weakly, and the timeout's timer holds its own signal weakly
// too, so nothing kept the timeout alive: a garbage collection between the
// start and the deadline took it, and the request then waited on a silent
// peer for as long as the peer liked (nodejs/node#57736, open in Node 20;
// it was test/integration/hostile-sync.test.ts's liar that was never timed
// out). Here the timer's callback holds the controller itself.
export interface Deadline {
  signal: AbortSignal
  /** Stops the timer and leaves the parent: call it once the request is over. */
  clear: () => void
}

export function deadlineSignal (ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController()
  if (parent?.aborted === true) {
    controller.abort(parent.reason)
    return { signal: controller.signal, clear: () => {} }
  }
  const timer = setTimeout(() => { controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')) }, ms)
  // like AbortSignal.timeout's: a pending deadline alone does not keep the process alive
  timer.unref()
  const onAbort = (): void => { controller.abort(parent?.reason) }
  parent?.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer)
      parent?.removeEventListener('abort', onAbort)
    }
  }
}
