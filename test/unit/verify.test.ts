// Differential test of the signature verifiers: noble (reference), native
// libsecp256k1 in the calling thread, and the native worker pool must return
// the same verdict, and the expected one, for every case, because a node on
// the fallback must never disagree with a node on the native backend.
import { execFile } from 'node:child_process'
import { getEventListeners } from 'node:events'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as secp from '@noble/secp256k1'
import { sha256 } from '@noble/hashes/sha2.js'
import { publicKeyOf, signDigest, isValidPrivateKey } from '../../src/crypto/keys.js'
import { NobleVerifier, VerifyCancelled, type SignatureCheck, type SignatureVerifier } from '../../src/crypto/verifier.js'
import { NativeVerifierPool, loadNativeBinding, verifyNative, VERIFY_WORKER_YOUNG_MB, type NativeBinding } from '../../src/crypto/native-verifier.js'
import { createVerifier } from '../../src/crypto/create-verifier.js'
import { CoalescingVerifier } from '../../src/crypto/coalescing-verifier.js'
import { waitFor } from '../../bench/support/wait.js'

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn

interface Case { label: string, check: SignatureCheck, expected: boolean }

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
/** Deterministic pseudo-random bytes: the test never depends on the run. */
function bytesFrom (seed: string, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i * 32 < length; i++) out.set(sha256(text(`${seed}/${i}`)).subarray(0, Math.min(32, length - i * 32)), i * 32)
  return out
}
const toBig = (b: Uint8Array): bigint => BigInt('0x' + Buffer.from(b).toString('hex'))
const fromBig = (n: bigint): Uint8Array => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'))
function flipBit (b: Uint8Array, bit: number): Uint8Array {
  const out = b.slice()
  out[bit >> 3] ^= 1 << (bit & 7)
  return out
}
function modPow (base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n
  base %= mod
  for (; exp > 0n; exp >>= 1n, base = (base * base) % mod) if ((exp & 1n) === 1n) result = (result * base) % mod
  return result
}
/** A compressed "key" whose x has no y on the curve (x^3 + 7 is not a square mod p). */
function offCurveKey (): Uint8Array {
  for (let x = 1n; ; x++) {
    if (modPow((x ** 3n + 7n) % P, (P - 1n) / 2n, P) !== 1n) return Uint8Array.from([0x02, ...fromBig(x)])
  }
}

interface Signed { check: SignatureCheck, highS: Uint8Array }
function makeSigned (count: number): Signed[] {
  const out: Signed[] = []
  for (let i = 0; out.length < count; i++) {
    const priv = bytesFrom(`key ${i}`, 32)
    if (!isValidPrivateKey(priv)) continue
    const digest = bytesFrom(`message ${i}`, 32)
    const signature = signDigest(digest, priv)
    const highS = signature.slice()
    highS.set(fromBig(N - toBig(signature.subarray(32))), 32)
    out.push({ check: { digest, signature, publicKey: publicKeyOf(priv) }, highS })
  }
  return out
}

const KEYS = 40
const signed = makeSigned(KEYS)
const valid = signed.map(s => s.check)

function differentialCases (): Case[] {
  const cases: Case[] = []
  const add = (label: string, check: SignatureCheck, expected: boolean): void => { cases.push({ label, check, expected }) }
  signed.forEach(({ check, highS }, i) => {
    const other = signed[(i + 1) % signed.length].check
    add(`valid ${i}`, check, true)
    add(`high-S ${i}`, { ...check, signature: highS }, false)
    add(`wrong key ${i}`, { ...check, publicKey: other.publicKey }, false)
    add(`tampered message ${i}`, { ...check, digest: flipBit(check.digest, (i * 37) % 256) }, false)
    add(`tampered signature ${i}`, { ...check, signature: flipBit(check.signature, (i * 53) % 512) }, false)
  })
  const c = valid[0]
  const priv0 = bytesFrom('key 0', 32)
  const big = new Uint8Array(300)
  big.set(c.digest, 7); big.set(c.signature, 100); big.set(c.publicKey, 201)
  add('valid, inputs are offset views of one buffer', { digest: big.subarray(7, 39), signature: big.subarray(100, 164), publicKey: big.subarray(201, 234) }, true)
  add('valid, Buffer inputs', { digest: Buffer.from(c.digest), signature: Buffer.from(c.signature), publicKey: Buffer.from(c.publicKey) }, true)
  add('random signature', { ...c, signature: bytesFrom('garbage sig', 64) }, false)
  add('zero signature', { ...c, signature: new Uint8Array(64) }, false)
  add('s = 0', { ...c, signature: Uint8Array.from([...c.signature.subarray(0, 32), ...new Uint8Array(32)]) }, false)
  add('r = n (overflow)', { ...c, signature: Uint8Array.from([...fromBig(N), ...c.signature.subarray(32)]) }, false)
  add('s = n (overflow)', { ...c, signature: Uint8Array.from([...c.signature.subarray(0, 32), ...fromBig(N)]) }, false)
  add('signature 63 bytes', { ...c, signature: c.signature.subarray(0, 63) }, false)
  add('signature 65 bytes', { ...c, signature: Uint8Array.from([...c.signature, 0]) }, false)
  add('signature empty', { ...c, signature: new Uint8Array(0) }, false)
  add('digest 31 bytes', { ...c, digest: c.digest.subarray(0, 31) }, false)
  add('digest 33 bytes', { ...c, digest: Uint8Array.from([...c.digest, 0]) }, false)
  add('uncompressed 65-byte key (only 33-byte keys are allowed)', { ...c, publicKey: secp.getPublicKey(priv0, false) }, false)
  add('public key 32 bytes', { ...c, publicKey: c.publicKey.subarray(1) }, false)
  add('public key 34 bytes', { ...c, publicKey: Uint8Array.from([...c.publicKey, 0]) }, false)
  add('public key prefix 0x04 in 33 bytes', { ...c, publicKey: Uint8Array.from([0x04, ...c.publicKey.subarray(1)]) }, false)
  add('public key prefix 0x05', { ...c, publicKey: Uint8Array.from([0x05, ...c.publicKey.subarray(1)]) }, false)
  add('public key all zero', { ...c, publicKey: new Uint8Array(33) }, false)
  add('public key x >= p', { ...c, publicKey: Uint8Array.from([0x02, ...new Uint8Array(32).fill(0xff)]) }, false)
  add('public key not on curve', { ...c, publicKey: offCurveKey() }, false)
  add('random public key bytes', { ...c, publicKey: bytesFrom('garbage key', 33) }, false)
  add('digest is not a Uint8Array', { ...c, digest: Array.from(c.digest) as unknown as Uint8Array }, false)
  add('missing signature', { ...c, signature: undefined as unknown as Uint8Array }, false)
  add('null check', null as unknown as SignatureCheck, false)
  return cases
}

/** A batch whose expected verdicts follow a known pattern, for order tests. */
function patternBatch (size: number, seed: number): { checks: SignatureCheck[], expected: boolean[] } {
  const checks: SignatureCheck[] = []
  const expected: boolean[] = []
  for (let i = 0; i < size; i++) {
    const base = valid[(i + seed) % valid.length]
    const ok = ((i * 7 + seed) % 3) !== 0
    checks.push(ok ? base : { ...base, digest: flipBit(base.digest, i % 256) })
    expected.push(ok)
  }
  return { checks, expected }
}

function mismatches (cases: Case[], verdicts: boolean[]): string[] {
  return cases.flatMap((c, i) => verdicts[i] === c.expected ? [] : [`${c.label}: got ${String(verdicts[i])}`])
}

describe('signature verifiers agree', () => {
  const cases = differentialCases()
  const checks = cases.map(c => c.check)
  let binding: NativeBinding
  let pool: NativeVerifierPool

  beforeAll(async () => {
    binding = loadNativeBinding()
    // inlineBelow 0 and small chunks: every check crosses a worker boundary, in many messages.
    pool = await NativeVerifierPool.create({ threads: 2, inlineBelow: 0, maxChunk: 16 })
  })
  afterAll(async () => { await pool.close() })

  it('high-S variants are real malleated signatures (valid without the low-S rule)', () => {
    for (const { check, highS } of signed.slice(0, 8)) {
      expect(secp.verify(highS, check.digest, check.publicKey, { prehash: false, lowS: false })).toBe(true)
    }
  })

  it('noble (reference) gives the expected verdicts', async () => {
    expect(mismatches(cases, await new NobleVerifier().verifyBatch(checks))).toEqual([])
  })

  it('native in the calling thread gives the expected verdicts', () => {
    expect(mismatches(cases, checks.map(c => verifyNative(binding, c)))).toEqual([])
  })

  it('native worker pool gives the expected verdicts', async () => {
    expect(mismatches(cases, await pool.verifyBatch(checks))).toEqual([])
  })

  it('a throwing binding verifies as false', () => {
    const throwing: NativeBinding = { ecdsaVerify: () => { throw new Error('Public Key could not be parsed') } }
    expect(verifyNative(throwing, valid[0])).toBe(false)
  })
})

describe('NativeVerifierPool', () => {
  it('splits large batches across workers and keeps order, also with concurrent batches', async () => {
    const pool = await NativeVerifierPool.create({ threads: 2, maxChunk: 32 })
    try {
      expect(pool.threadCount).toBe(2)
      const big = patternBatch(600, 1)
      expect(await pool.verifyBatch(big.checks)).toEqual(big.expected)

      // Sizes below and above the in-thread threshold, all in flight at once.
      const batches = [3, 250, 15, 16, 90, 1, 0, 130, 40, 7].map((size, seed) => patternBatch(size, seed))
      const results = await Promise.all(batches.map(async b => await pool.verifyBatch(b.checks)))
      results.forEach((r, i) => expect(r).toEqual(batches[i].expected))
    } finally {
      await pool.close()
    }
  })

  it('verifies the inputs as they were when verifyBatch was called', async () => {
    const pool = await NativeVerifierPool.create({ threads: 1, inlineBelow: 0 })
    try {
      const checks = valid.map(c => ({ digest: c.digest.slice(), signature: c.signature, publicKey: c.publicKey }))
      const verdicts = pool.verifyBatch(checks)
      for (const c of checks) c.digest.fill(0) // a caller reusing its buffers
      expect(await verdicts).toEqual(checks.map(() => true))
    } finally {
      await pool.close()
    }
  })

  it('redoes the chunks of a crashed worker and replaces it', async () => {
    const pool = await NativeVerifierPool.create({ threads: 2, inlineBelow: 0, maxChunk: 8 })
    try {
      const before = pool.threadIds()
      pool.injectWorkerCrash(0)
      const batch = patternBatch(120, 2)
      expect(await pool.verifyBatch(batch.checks)).toEqual(batch.expected)
      // The other worker may claim every chunk before the crash is seen, so
      // the batch can resolve first; the replacement follows the crash.
      await waitFor(() => !pool.threadIds().includes(before[0]) && pool.threadCount === 2, 'the crashed worker to be replaced', 20_000)
      expect(pool.threadCount).toBe(2)
      expect(pool.threadIds()).not.toContain(before[0])
      expect(pool.threadIds()).toContain(before[1])
      const again = patternBatch(50, 3)
      expect(await pool.verifyBatch(again.checks)).toEqual(again.expected)
    } finally {
      await pool.close()
    }
  })

  it('rejects a batch whose chunk has used its tries, and keeps working', async () => {
    const pool = await NativeVerifierPool.create({ threads: 1, inlineBelow: 0, maxAttempts: 1 })
    try {
      pool.injectWorkerCrash(0)
      await expect(pool.verifyBatch(patternBatch(40, 4).checks)).rejects.toThrow(/crashed/)
      const next = patternBatch(40, 5)
      expect(await pool.verifyBatch(next.checks)).toEqual(next.expected)
      expect(pool.threadCount).toBe(1)
    } finally {
      await pool.close()
    }
  })

  it('reports workers that cannot start instead of respawning them', async () => {
    const failing = new URL('data:text/javascript,throw new Error("binding missing in worker")')
    await expect(NativeVerifierPool.create({ threads: 2, workerUrl: failing })).rejects.toThrow(/binding missing in worker/)

    const pool = new NativeVerifierPool({ threads: 2, inlineBelow: 0, workerUrl: failing })
    try {
      await expect(pool.verifyBatch(patternBatch(40, 9).checks)).rejects.toThrow(/no working thread.*binding missing in worker/)
      expect(pool.threadCount).toBe(0)
      await expect(pool.verifyBatch(patternBatch(40, 10).checks)).rejects.toThrow(/no working thread/)
    } finally {
      await pool.close()
    }
  })

  it('leaves no abort listener on a signal that outlives its batches, and still cancels with it', async () => {
    const pool = await NativeVerifierPool.create({ threads: 1, inlineBelow: 0 })
    try {
      const controller = new AbortController()
      for (let i = 0; i < 12; i++) {
        const b = patternBatch(20, 20 + i)
        expect(await pool.verifyBatch(b.checks, controller.signal)).toEqual(b.expected)
      }
      // one listener per batch in flight, none once settled (a long-lived
      // signal used to collect one per batch, for as long as it lived)
      const inFlight = pool.verifyBatch(patternBatch(400, 41).checks, controller.signal)
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
      controller.abort()
      await expect(inFlight).rejects.toThrow(VerifyCancelled)
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    } finally {
      await pool.close()
    }
  })

  it("bounds each worker's young generation (resourceLimits) and keeps it there while verifying", async () => {
    const MIB = 2 ** 20
    // V8 makes a third of the young generation each of the new space's two semi-spaces
    const newSpaceBound = VERIFY_WORKER_YOUNG_MB * MIB * 2 / 3
    const bounded = await NativeVerifierPool.create({ threads: 2, inlineBelow: 0 })
    const unbounded = await NativeVerifierPool.create({ threads: 1, inlineBelow: 0, youngGenerationMb: 0 })
    try {
      // enough work for V8 to grow an unbounded new space; the verdicts stay right
      for (let i = 0; i < 5; i++) {
        const b = patternBatch(2000, 50 + i)
        expect(await bounded.verifyBatch(b.checks)).toEqual(b.expected)
      }
      const stats = await bounded.workerHeapStatistics()
      expect(stats.map(s => s.threadId).sort()).toEqual(bounded.threadIds().sort())
      for (const s of stats) {
        expect(s.newSpace.space_size).toBeGreaterThan(0)
        expect(s.newSpace.space_size).toBeLessThanOrEqual(newSpaceBound)
      }
      // the limit is the pool's doing: V8's default young generation (part of the heap's limit) is larger
      const [free] = await unbounded.workerHeapStatistics()
      expect(free.heap.heap_size_limit - stats[0].heap.heap_size_limit).toBeGreaterThan(8 * MIB)
    } finally {
      await Promise.all([bounded.close(), unbounded.close()])
    }
  })

  it('keeps a process with nothing else to do alive while its workers start and answer', async () => {
    // an idle worker is unref'd; one still starting, or asked for its heap, must not be, or the process exits mid-await (code 13)
    const pool = new URL('../../src/crypto/native-verifier.ts', import.meta.url).href
    const code = `const { NativeVerifierPool } = await import(${JSON.stringify(pool)})
      const p = await NativeVerifierPool.create({ threads: 2 })
      const stats = await p.workerHeapStatistics()
      console.log(stats.length)
      await p.close()`
    const root = new URL('../../', import.meta.url).pathname
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, timeout: 60_000 })
    expect(stdout.trim()).toBe('2')
  })

  it('rejects pending and later batches after close', async () => {
    const pool = await NativeVerifierPool.create({ threads: 1, inlineBelow: 0 })
    // The expectation attaches its handler now: close() rejects the batch before the next line.
    const pending = expect(pool.verifyBatch(patternBatch(200, 6).checks)).rejects.toThrow(/closed/)
    await pool.close()
    await pending
    await expect(pool.verifyBatch(patternBatch(200, 7).checks)).rejects.toThrow(/closed/)
    await expect(pool.verifyBatch(valid.slice(0, 1))).rejects.toThrow(/closed/) // in-thread size too
    await pool.close() // idempotent
    expect(pool.threadCount).toBe(0)
  })
})

describe('createVerifier', () => {
  it("'auto' falls back to noble with a warning when the binding cannot load", async () => {
    const warnings: string[] = []
    const verifier = await createVerifier({
      loadBinding: () => { throw new Error('No native build was found') },
      onWarning: m => warnings.push(m)
    })
    expect(verifier.backend).toBe('noble')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/No native build was found.*noble/)
    expect(await verifier.verifyBatch([valid[0], { ...valid[0], signature: signed[0].highS }])).toEqual([true, false])
    await verifier.close()
  })

  it("'native' throws instead of falling back", async () => {
    await expect(createVerifier({ backend: 'native', loadBinding: () => { throw new Error('missing') } }))
      .rejects.toThrow(/native signature verifier unavailable: missing/)
  })

  it('builds the native pool with the requested threads, and noble on request', async () => {
    const warnings: string[] = []
    const native = await createVerifier({ threads: 1, onWarning: m => warnings.push(m) })
    expect(native.backend).toBe('native')
    expect(native).toBeInstanceOf(CoalescingVerifier)
    expect(((native as CoalescingVerifier).inner as NativeVerifierPool).threadCount).toBe(1)
    const batch = patternBatch(64, 8)
    expect(await native.verifyBatch(batch.checks)).toEqual(batch.expected)
    await native.close()
    expect((await createVerifier({ backend: 'noble' })).backend).toBe('noble')
    expect(warnings).toEqual([])
  })
})

describe('CoalescingVerifier', () => {
  /** Records the batches the inner verifier receives. */
  function recording (inner: { verifyBatch: (c: SignatureCheck[]) => Promise<boolean[]>, close: () => Promise<void> }): { verifier: CoalescingVerifier, sizes: number[] } {
    const sizes: number[] = []
    const verifier = new CoalescingVerifier({
      backend: 'native',
      verifyBatch: async (c) => { sizes.push(c.length); return await inner.verifyBatch(c) },
      close: async () => await inner.close()
    }, { directFrom: 64, flushAt: 128 })
    return { verifier, sizes }
  }

  it('gives each concurrent small batch its own verdicts, verified together in the workers', async () => {
    const pool = await NativeVerifierPool.create({ threads: 2 })
    const { verifier, sizes } = recording(pool)
    try {
      // every differential case as its own batch of one or two, all submitted in one turn
      const cases = differentialCases()
      const batches: Case[][] = []
      for (let i = 0; i < cases.length; i += 1 + (i % 2)) batches.push(cases.slice(i, i + 1 + (i % 2)))
      const verdicts = await Promise.all(batches.map(async b => await verifier.verifyBatch(b.map(c => c.check))))
      batches.forEach((b, i) => expect(mismatches(b, verdicts[i])).toEqual([]))
      expect(sizes.reduce((a, n) => a + n, 0)).toBe(cases.length)
      // 128 checks go as soon as they are queued, the rest at the end of the turn
      expect(sizes.length).toBeLessThanOrEqual(Math.ceil(cases.length / 128) + 1)
      expect(Math.max(...sizes)).toBeGreaterThanOrEqual(128)
    } finally {
      await verifier.close()
    }
  })

  it('passes large batches straight through and verifies a lone small batch', async () => {
    const pool = await NativeVerifierPool.create({ threads: 1 })
    const { verifier, sizes } = recording(pool)
    try {
      const big = patternBatch(100, 9)
      expect(await verifier.verifyBatch(big.checks)).toEqual(big.expected)
      expect(await verifier.verifyBatch([valid[1], { ...valid[1], signature: signed[1].highS }])).toEqual([true, false])
      expect(await verifier.verifyBatch([])).toEqual([])
      expect(sizes).toEqual([100, 2])
    } finally {
      await verifier.close()
    }
  })

  it('rejects every waiting batch when the inner verifier fails', async () => {
    const verifier = new CoalescingVerifier({ backend: 'native', verifyBatch: async () => { throw new Error('pool closed') }, close: async () => {} })
    const waiting = [verifier.verifyBatch(valid.slice(0, 1)), verifier.verifyBatch(valid.slice(1, 3))]
    for (const w of waiting) await expect(w).rejects.toThrow(/pool closed/)
  })

  it('rejects every waiting batch, and verifies none as valid, when the inner verifier answers too few results', async () => {
    // the last caller's checks would get no verdict at all: never "no false found"
    const verifier = new CoalescingVerifier({ backend: 'native', verifyBatch: async c => c.slice(1).map(() => true), close: async () => {} })
    const waiting = [verifier.verifyBatch(valid.slice(0, 1)), verifier.verifyBatch(valid.slice(1, 3))]
    for (const w of waiting) await expect(w).rejects.toThrow(/answered 2 results for 3 checks/)
  })

  it('rejects as an async function would when the inner verifier throws synchronously', async () => {
    const inner: SignatureVerifier = { backend: 'native', verifyBatch: () => { throw new Error('not started') }, close: async () => {} }
    const verifier = new CoalescingVerifier(inner, { directFrom: 2 })
    const direct = verifier.verifyBatch(valid.slice(0, 2))
    const coalesced = verifier.verifyBatch(valid.slice(0, 1))
    await expect(direct).rejects.toThrow(/not started/)
    await expect(coalesced).rejects.toThrow(/not started/)
  })
})
