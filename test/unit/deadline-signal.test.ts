// A request's deadline must fire however much garbage is collected while it
// waits: AbortSignal.any([parent, AbortSignal.timeout(ms)]) holds its timeout
// weakly, and after a collection a silent peer was never timed out
// (nodejs/node#57736; hostile-sync's silent liar).
import { getEventListeners } from 'node:events'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { deadlineSignal } from '../../src/p2p/deadline-signal.js'
import { waitFor } from '../../bench/support/wait.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

async function collectWhile (ms: number): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    gc()
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

describe('deadlineSignal', () => {
  it('times out after its deadline even when garbage is collected meanwhile', async () => {
    const parent = new AbortController()
    const { signal } = deadlineSignal(60, parent.signal)
    await collectWhile(150)
    await waitFor(() => signal.aborted, 'the deadline', 5_000)
    expect((signal.reason as Error).name).toBe('TimeoutError')
    expect(parent.signal.aborted).toBe(false)
  })

  it('aborts with its parent, with the parent\'s reason', () => {
    const parent = new AbortController()
    const { signal } = deadlineSignal(60_000, parent.signal)
    parent.abort(new Error('node stopping'))
    expect(signal.aborted).toBe(true)
    expect((signal.reason as Error).message).toBe('node stopping')
  })

  it('starts aborted under an aborted parent', () => {
    const parent = new AbortController()
    parent.abort(new Error('gone'))
    expect(deadlineSignal(60_000, parent.signal).signal.aborted).toBe(true)
  })

  it('once cleared, leaves its parent and never fires', async () => {
    const parent = new AbortController()
    const { signal, clear } = deadlineSignal(20, parent.signal)
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1)
    clear()
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0)
    await new Promise(resolve => setTimeout(resolve, 80))
    expect(signal.aborted).toBe(false)
  })
})
