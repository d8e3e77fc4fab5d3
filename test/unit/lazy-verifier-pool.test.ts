// The node's native verifier: worker threads only while batches need them,
// the same verdicts as the reference verifier either way.
import { afterEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { publicKeyOf, signDigest } from '../../src/crypto/keys.js'
import { CoalescingVerifier } from '../../src/crypto/coalescing-verifier.js'
import { LazyVerifierPool } from '../../src/crypto/lazy-verifier-pool.js'
import { loadNativeBinding } from '../../src/crypto/native-verifier.js'
import { NobleVerifier, type SignatureCheck } from '../../src/crypto/verifier.js'
import { waitFor } from '../../bench/support/wait.js'

const digestOf = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())

/** `count` checks, every third one wrong (a flipped digest bit). */
function batch (count: number, seed: string): SignatureCheck[] {
  return Array.from({ length: count }, (_, i) => {
    const priv = digestOf(`${seed} key ${i % 7}`)
    const digest = digestOf(`${seed} message ${i}`)
    const signature = signDigest(digest, priv)
    if (i % 3 === 0) digest[5] ^= 1
    return { digest, signature, publicKey: publicKeyOf(priv) }
  })
}

const reference = new NobleVerifier()
const pools: LazyVerifierPool[] = []
afterEach(async () => { for (const p of pools.splice(0)) await p.close() })

function make (opts: Partial<ConstructorParameters<typeof LazyVerifierPool>[0]> = {}): LazyVerifierPool {
  const pool = new LazyVerifierPool({ binding: loadNativeBinding(), threads: 2, ...opts })
  pools.push(pool)
  return pool
}

describe('LazyVerifierPool', () => {
  it('verifies small batches in the calling thread without starting workers', async () => {
    const pool = make()
    const checks = batch(10, 'small')
    expect(await pool.verifyBatch(checks)).toEqual(await reference.verifyBatch(checks))
    expect(pool.workersRunning).toBe(false)
  })

  it('verifies a coalesced burst of small batches in the calling thread, without starting workers', async () => {
    // what 500 concurrent API submissions become: batches of ~128 one-signature checks
    const pool = make()
    for (const seed of ['burst 1', 'burst 2', 'burst 3']) {
      const checks = batch(128, seed)
      expect(await pool.verifyBatch(checks)).toEqual(await reference.verifyBatch(checks))
    }
    expect(pool.workersRunning).toBe(false)
  })

  it('starts the workers in the background once small batches keep coming within a second', async () => {
    let clock = 0
    const pool = make({ startFrom: 64, startAfterChecks: 100, idleMs: 60_000, now: () => clock })
    const a = batch(40, 'a')
    const b = batch(40, 'b')
    expect(await pool.verifyBatch(a)).toEqual(await reference.verifyBatch(a))
    clock += 999
    expect(await pool.verifyBatch(b)).toEqual(await reference.verifyBatch(b))
    expect(pool.workersRunning).toBe(false) // 80 checks within the second
    clock += 1 // a new second: the count starts again
    for (const seed of ['c', 'd']) {
      const checks = batch(40, seed)
      expect(await pool.verifyBatch(checks)).toEqual(await reference.verifyBatch(checks))
    }
    expect(pool.workersRunning).toBe(false)
    // 120 checks within this second: the batch that crosses the line is still verified here, the workers start
    const e = batch(40, 'e')
    expect(await pool.verifyBatch(e)).toEqual(await reference.verifyBatch(e))
    expect(pool.workersRunning).toBe(true)
    const f = batch(40, 'f')
    expect(await pool.verifyBatch(f)).toEqual(await reference.verifyBatch(f))
  })

  it('starts workers for a large batch, stops them when idle, and starts them again', async () => {
    const pool = make({ idleMs: 50 })
    const first = batch(300, 'first')
    expect(await pool.verifyBatch(first)).toEqual(await reference.verifyBatch(first))
    expect(pool.workersRunning).toBe(true)
    await waitFor(() => !pool.workersRunning, 'the idle workers to stop', 10_000)
    const second = batch(300, 'second')
    expect(await pool.verifyBatch(second)).toEqual(await reference.verifyBatch(second))
    expect(pool.workersRunning).toBe(true)
  })

  it('keeps verifying, in the calling thread, when the workers cannot start', async () => {
    const warnings: string[] = []
    const failing = new URL('data:text/javascript,throw new Error("binding missing in worker")')
    const pool = make({ workerUrl: failing, onWarning: m => warnings.push(m), startFrom: 32 })
    for (const seed of ['a', 'b']) {
      const checks = batch(40, seed)
      expect(await pool.verifyBatch(checks)).toEqual(await reference.verifyBatch(checks))
    }
    // the batches did not wait for the failed start; it is reported once
    await waitFor(() => warnings.length > 0, 'the failed start to be reported', 10_000)
    const after = batch(40, 'after')
    expect(await pool.verifyBatch(after)).toEqual(await reference.verifyBatch(after))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/binding missing in worker.*main thread/)
    expect(pool.workersRunning).toBe(false)
  })

  it('verifies a large batch here while the workers start, and hands the workers the next one', async () => {
    // workers that load the real worker only when the test says so (a BroadcastChannel message)
    const channel = `lazy-pool-test-${process.pid}-${Math.random()}`
    const real = new URL('../../src/crypto/native-verify-worker.mjs', import.meta.url).href
    const source = `const bc = new BroadcastChannel(${JSON.stringify(channel)}); bc.onmessage = async () => { bc.close(); await import(${JSON.stringify(real)}) }`
    const pool = make({ workerUrl: new URL(`data:text/javascript,${encodeURIComponent(source)}`) })
    const first = batch(300, 'while starting')
    expect(await pool.verifyBatch(first)).toEqual(await reference.verifyBatch(first))
    expect(pool.workersRunning).toBe(true)
    expect(pool.workersReady).toBe(false) // verified without them
    const go = new BroadcastChannel(channel)
    go.postMessage('go')
    go.close()
    await waitFor(() => pool.workersReady, 'the workers to be ready', 20_000)
    const second = batch(300, 'ready')
    expect(await pool.verifyBatch(second)).toEqual(await reference.verifyBatch(second))
  })

  it('stops verifying a large batch here when its signal aborts while the workers start', async () => {
    // workers that load the real worker only when the test says so: until then every check is verified in this thread
    const channel = `lazy-pool-cancel-${process.pid}-${Math.random()}`
    const real = new URL('../../src/crypto/native-verify-worker.mjs', import.meta.url).href
    const source = `const bc = new BroadcastChannel(${JSON.stringify(channel)}); bc.onmessage = async () => { bc.close(); await import(${JSON.stringify(real)}) }`
    const pool = make({ workerUrl: new URL(`data:text/javascript,${encodeURIComponent(source)}`) })
    const checks = batch(2_000, 'cancel while starting')
    const cancel = new AbortController()
    const verdict = pool.verifyBatch(checks, cancel.signal)
    setImmediate(() => cancel.abort()) // after the first slice, long before the 2,000th check
    await expect(verdict).rejects.toThrow(/cancelled/)
    expect(pool.workersReady).toBe(false)
    // let them load, so close() finds them ready (said until heard: a worker may not listen yet)
    const go = new BroadcastChannel(channel)
    await waitFor(() => { go.postMessage('go'); return pool.workersReady }, 'the workers to be ready', 20_000)
    go.close()
  })

  it('starts the workers ahead of any batch when told many signatures are coming (prepare), and stops them when idle', async () => {
    const pool = make({ idleMs: 50 })
    pool.prepare()
    expect(pool.workersRunning).toBe(true)
    await waitFor(() => pool.workersReady, 'the prepared workers to be ready', 20_000)
    // a batch below startFrom, which would otherwise be verified here, goes to the ready workers
    const small = batch(40, 'prepared')
    expect(await pool.verifyBatch(small)).toEqual(await reference.verifyBatch(small))
    await waitFor(() => !pool.workersRunning, 'the idle workers to stop', 10_000)
  })

  it('prepare does nothing once closed, and through a coalescing front forwards to its pool', async () => {
    const pool = make()
    const front = new CoalescingVerifier(pool)
    front.prepare()
    expect(pool.workersRunning).toBe(true)
    await front.close()
    expect(pool.workersRunning).toBe(false)
    pool.prepare()
    expect(pool.workersRunning).toBe(false)
  })

  it('refuses batches after close', async () => {
    const pool = make()
    await pool.verifyBatch(batch(300, 'c'))
    expect(pool.workersRunning).toBe(true)
    await pool.close()
    expect(pool.workersRunning).toBe(false)
    await expect(pool.verifyBatch(batch(2, 'd'))).rejects.toThrow(/closed/)
  })
})
