// The miner's nonce search, spread over worker threads so the event loop
// (networking, validation) keeps running while hashing.
//
// One search at a time: starting a new search or aborting abandons the old
// one at once. The promise settles immediately; the workers notice through a
// shared "generation" word within a few thousand hashes (see nonce-worker.mjs)
// and their late messages, tagged with the old generation, are ignored.
import { Worker } from 'node:worker_threads'
import { bigIntToBytes } from '../core/bytes.js'
import { dsha256 } from '../core/hash.js'
import { hashMeetsTarget } from '../core/pow.js'
import { HEADER_BYTES } from '../core/types.js'

export interface NonceSearchOptions {
  threads: number
  /** The worker script; replaceable so tests can inject a failing worker. */
  workerUrl?: URL
}

export interface NonceFound {
  nonce: number
}

const NONCE_SPACE = 2 ** 32
const TWO_256 = 1n << 256n
const NONCE_OFFSET = 76
const RATE_WINDOW_MS = 5000
const DEFAULT_WORKER_URL = new URL('./nonce-worker.mjs', import.meta.url)

type WorkerMessage =
  | { type: 'progress', hashes: number }
  | { type: 'found', generation: number, nonce: number, hashes: number }
  | { type: 'exhausted', generation: number, hashes: number }

interface ActiveSearch {
  generation: number
  header: Uint8Array
  target: bigint
  exhaustedWorkers: number
  resolve: (result: NonceFound | null) => void
  reject: (err: Error) => void
  detachAbort: () => void
}

interface HashSample { at: number, total: number }

/** The nonce worker's young generation (V8 resourceLimits), MiB. */
const NONCE_WORKER_YOUNG_MB = 2

export class NonceSearch {
  readonly threads: number
  private readonly workerUrl: URL
  /** Bumped (Atomics) to abandon whatever the workers are doing. */
  private readonly generation = new Int32Array(new SharedArrayBuffer(4))
  /** One slot per thread; null after a crash until the next search respawns it. */
  private readonly slots: Array<Worker | null>
  private running = false
  private active: ActiveSearch | null = null
  private live = 0
  private hashes = 0
  private samples: HashSample[] = []

  constructor ({ threads, workerUrl }: NonceSearchOptions) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError('threads must be a positive integer')
    this.threads = threads
    this.workerUrl = workerUrl ?? DEFAULT_WORKER_URL
    this.slots = new Array<Worker | null>(threads).fill(null)
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.samples = [{ at: performance.now(), total: this.hashes }]
    for (let i = 0; i < this.threads; i++) this.spawn(i)
  }

  /** Abandons any search (it resolves null) and terminates the workers. */
  async stop (): Promise<void> {
    this.running = false
    this.settle(null)
    const workers = this.slots.filter((w): w is Worker => w !== null)
    this.slots.fill(null) // first, so their exits are not taken for crashes
    await Promise.all(workers.map(async w => await w.terminate()))
  }

  /** Total hashes the workers have reported, over all searches. */
  get hashesDone (): number {
    return this.hashes
  }

  /** Worker threads that have not exited yet (0 after stop() resolves). */
  get liveWorkers (): number {
    return this.live
  }

  /** Hashes per second over the last few seconds. */
  hashRate (): number {
    const now = performance.now()
    this.pruneSamples(now)
    const base = this.samples[0]
    if (base === undefined) return 0
    // A baseline older than the window stands for the window's start: the
    // next report covers hashes done shortly before it, not since the baseline.
    const seconds = Math.min(now - base.at, RATE_WINDOW_MS) / 1000
    return seconds > 0 ? (this.hashes - base.total) / seconds : 0
  }

  /**
   * Searches all 2^32 nonces of the 80-byte header for a double SHA-256 that
   * is <= target. Resolves with the first nonce a worker finds, or null when
   * the space is exhausted (change time or extra-nonce and search again), when
   * `signal` aborts, when a newer search starts, or on stop(). Rejects if a
   * worker crashes; the next search replaces it.
   */
  async search (header80: Uint8Array, target: bigint, signal?: AbortSignal): Promise<NonceFound | null> {
    if (!(header80 instanceof Uint8Array) || header80.length !== HEADER_BYTES) throw new TypeError(`header must be ${HEADER_BYTES} bytes`)
    if (typeof target !== 'bigint' || target < 0n || target >= TWO_256) throw new RangeError('target must be a bigint in [0, 2^256)')
    if (!this.running) throw new Error('NonceSearch is not started')
    this.settle(null)
    if (signal?.aborted === true) return null

    for (let i = 0; i < this.threads; i++) if (this.slots[i] === null) this.spawn(i)
    const generation = this.bumpGeneration()
    const header = header80.slice()
    const targetBytes = bigIntToBytes(target, 32)

    const result = new Promise<NonceFound | null>((resolve, reject) => {
      const onAbort = (): void => { if (this.active?.generation === generation) this.settle(null) }
      signal?.addEventListener('abort', onAbort, { once: true })
      const detachAbort = (): void => signal?.removeEventListener('abort', onAbort)
      this.active = { generation, header, target, exhaustedWorkers: 0, resolve, reject, detachAbort }
    })
    this.slots.forEach((worker, i) => {
      const start = Math.floor(i * NONCE_SPACE / this.threads)
      const end = Math.floor((i + 1) * NONCE_SPACE / this.threads)
      worker?.ref()
      worker?.postMessage({ type: 'job', generation, header, target: targetBytes, start, count: end - start })
    })
    return await result
  }

  private bumpGeneration (): number {
    return (Atomics.add(this.generation, 0, 1) + 1) | 0
  }

  /** Ends the active search (if any) with a result or an error and stops its workers. */
  private settle (outcome: NonceFound | null | Error): void {
    const search = this.active
    if (search === null) return
    this.active = null
    this.bumpGeneration()
    search.detachAbort()
    // Idle workers must not keep the process alive.
    for (const w of this.slots) w?.unref()
    if (outcome instanceof Error) search.reject(outcome)
    else search.resolve(outcome)
  }

  private spawn (slot: number): void {
    // A small young generation: the scan loop allocates next to nothing, and
    // V8's default let the worker's new space grow to ~4 MiB of RSS per thread.
    const worker = new Worker(this.workerUrl, { workerData: { generation: this.generation.buffer }, resourceLimits: { maxYoungGenerationSizeMb: NONCE_WORKER_YOUNG_MB } })
    this.live++
    worker.unref()
    this.slots[slot] = worker
    worker.on('message', (msg: WorkerMessage) => this.onMessage(msg))
    worker.on('error', (err: Error) => this.retire(worker, err))
    worker.on('messageerror', (err: Error) => this.retire(worker, err))
    worker.once('exit', (code: number) => {
      this.live--
      this.retire(worker, new Error(`nonce worker exited with code ${code}`))
    })
  }

  /** A worker died or broke: drop it from the pool and fail the search it was part of. */
  private retire (worker: Worker, err: Error): void {
    const slot = this.slots.indexOf(worker)
    if (slot === -1) return // already retired, or stopped on purpose
    this.slots[slot] = null
    void worker.terminate()
    this.settle(new Error(`nonce worker failed: ${err.message}`, { cause: err }))
  }

  private onMessage (msg: WorkerMessage): void {
    this.recordHashes(msg.hashes)
    const search = this.active
    if (msg.type === 'progress' || search === null || msg.generation !== search.generation) return
    if (msg.type === 'exhausted') {
      search.exhaustedWorkers++
      if (search.exhaustedWorkers === this.threads) this.settle(null)
      return
    }
    // An independent check with node:crypto, so a kernel bug cannot produce invalid blocks.
    const header = search.header.slice()
    new DataView(header.buffer).setUint32(NONCE_OFFSET, msg.nonce, true)
    if (hashMeetsTarget(dsha256(header), search.target)) this.settle({ nonce: msg.nonce })
    else this.settle(new Error(`nonce worker reported nonce ${msg.nonce}, which does not meet the target`))
  }

  private recordHashes (n: number): void {
    if (n <= 0) return
    this.hashes += n
    const now = performance.now()
    this.samples.push({ at: now, total: this.hashes })
    this.pruneSamples(now)
  }

  /** Keeps the samples inside the window plus the newest one before it, as the baseline. */
  private pruneSamples (now: number): void {
    const cutoff = now - RATE_WINDOW_MS
    while (this.samples.length >= 2 && this.samples[1].at <= cutoff) this.samples.shift()
  }
}
