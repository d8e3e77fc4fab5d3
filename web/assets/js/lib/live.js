// Live updates: the node's Server-Sent Events (GET /api/events), and a poll
// while the stream is down. The browser reconnects a dropped stream by
// itself (the server asks for retry: 3000); a refused stream (503 when the
// node has too many) is retried here every RETRY_MS. Whenever the stream
// (re)opens after a gap, `onResync` reloads everything once, since events
// sent in between are lost.

export const EVENT_NAMES = ['tip', 'block', 'tx', 'txRemoved', 'peer', 'proof']
const POLL_MS = 5000
const RETRY_MS = 15000

export function startLive ({ onEvent, onState, onResync, poll }) {
  let source = null
  let pollTimer = null
  let retryTimer = null
  let everOpen = false
  let gap = false
  let stopped = false

  const startPolling = () => {
    if (pollTimer !== null) return
    pollTimer = setInterval(() => { void poll() }, POLL_MS)
    void poll()
  }
  const stopPolling = () => {
    if (pollTimer !== null) clearInterval(pollTimer)
    pollTimer = null
  }

  const open = () => {
    if (stopped) return
    retryTimer = null
    let es
    try {
      es = new EventSource('/api/events')
    } catch {
      onState('polling')
      startPolling()
      retryTimer = setTimeout(open, RETRY_MS)
      return
    }
    source = es
    es.addEventListener('open', () => {
      stopPolling()
      onState('live')
      if (gap || everOpen) onResync()
      everOpen = true
      gap = false
    })
    es.addEventListener('error', () => {
      gap = true
      startPolling()
      if (es.readyState === EventSource.CLOSED) {
        onState('polling')
        es.close()
        if (source === es) source = null
        if (retryTimer === null) retryTimer = setTimeout(open, RETRY_MS)
      } else {
        onState('reconnecting')
      }
    })
    for (const name of EVENT_NAMES) {
      es.addEventListener(name, (e) => {
        let data
        try {
          data = JSON.parse(e.data)
        } catch {
          return
        }
        onEvent(name, data)
      })
    }
  }

  if (typeof EventSource === 'undefined') {
    onState('polling')
    startPolling()
  } else {
    open()
  }

  return {
    stop () {
      stopped = true
      stopPolling()
      if (retryTimer !== null) clearTimeout(retryTimer)
      source?.close()
    }
  }
}

/** Runs `fn` at most once per `ms`, trailing: bursts (a sync) collapse into one call. */
export function throttle (fn, ms) {
  let timer = null
  let last = 0
  return () => {
    if (timer !== null) return
    const wait = Math.max(0, last + ms - Date.now())
    timer = setTimeout(async () => {
      last = Date.now()
      timer = null
      try {
        await fn()
      } catch {
        // the panel shows its own error; the next event retries
      }
    }, wait)
  }
}
