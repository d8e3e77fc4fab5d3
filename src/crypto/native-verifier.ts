// A pool of worker threads that spreads large batches of signature checks
// over the cores (native libsecp256k1; the binding itself: native-binding.ts).
//
// Every chunk of a batch is posted to every worker and verified by the first
// that claims it (a compare-and-swap on the chunk's word in shared memory);
// the others skip it. So the workers share out the work among themselves,
// without waiting for this thread. Before, chunks were handed out as answers
// came in, and connecting a block keeps this thread busy for ~100 ms at a
// stretch: a worker ran dry in the middle of a block, and the one whose
// answers were read first was then handed the rest while the other sat idle
// (BENCHMARKS.md, "Issue 12 mark 3: the verify workers").
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { CHECK_BYTES, loadNativeBinding, packChecks, verifyNative, type NativeBinding } from './native-binding.js'
import { isWellFormedCheck, VerifyCancelled, type SignatureCheck, type SignatureVerifier } from './verifier.js'

export { CHECK_BYTES, loadNativeBinding, packChecks, verifyNative, type NativeBinding }

export interface NativeVerifierPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  threads?: number
  /** Batches with fewer well-formed checks than this run in the calling thread (no message round trip). Default 16; 0 sends everything to workers. */
  inlineBelow?: number
  /** Most checks per chunk; small chunks keep the workers' finishing times close (64: ~3 ms each). Default 64. */
  maxChunk?: number
  /** Tries per chunk: a chunk whose worker dies while verifying it is redone until this many tries, then its batch rejects. Default 2. */
  maxAttempts?: number
  /** Binding for the calling thread; default loadNativeBinding(). Workers load their own. */
  binding?: NativeBinding
  /** Worker entry; default native-verify-worker.mjs. Tests point it at a failing one. */
  workerUrl?: URL
  /** Each worker's young generation (V8 `resourceLimits.maxYoungGenerationSizeMb`), MiB; default VERIFY_WORKER_YOUNG_MB; 0 leaves V8's default. */
  youngGenerationMb?: number
}

/** What a worker's isolate reports of its heap (bytes): v8.getHeapStatistics() and its new space's v8.getHeapSpaceStatistics() entry. */
export interface WorkerHeapStatistics {
  threadId: number
  heap: { total_heap_size: number, total_physical_size: number, used_heap_size: number, heap_size_limit: number, malloced_memory: number, external_memory: number }
  newSpace: { space_size: number, space_used_size: number, physical_space_size: number }
}

/**
 * A verify worker's young generation, MiB (`resourceLimits`). V8 makes a
 * third of it each semi-space, at least 1 MiB (its smallest on 64-bit
 * without pointer compression, as Node 20 builds it): 3 MiB gives two 1 MiB
 * semi-spaces, V8's smallest new space, 2 MiB committed at most. A worker
 * allocates little on its own heap (per chunk its message and a result
 * array, nothing per check: native-verify-worker.mjs); without the limit
 * V8 let each worker's new space grow to 4 MiB within 50,000 checks, and up
 * to 2 x 16 MiB without the daemon's semi-space growth factor
 * (heap-growth.mjs). No old-generation limit: a worker over it would be
 * ended (BENCHMARKS.md, issue 12 session 10).
 */
export const VERIFY_WORKER_YOUNG_MB = 3

/** A chunk's claim word: 0 while unclaimed, -1 once its batch has failed, else the claiming worker's claim id. */
const UNCLAIMED = 0
const CANCELLED = -1

interface Batch {
  results: boolean[]
  remaining: number // chunks not yet answered
  settled: boolean
  resolve: (results: boolean[]) => void
  reject: (err: Error) => void
  chunks: Chunk[]
  /** Removes the batch's abort listener once it settled: a caller's signal outlives its batches. */
  detach?: () => void
}

/** What a worker is sent; native-verify-worker.mjs reads the same fields. */
interface VerifyMessage {
  type: 'verify'
  id: number
  /** The batch's checks, packed when verifyBatch was called (a caller reusing its buffers afterwards cannot change what is verified). */
  data: SharedArrayBuffer
  /** The batch's claim words, one per chunk. */
  claims: SharedArrayBuffer
  claimAt: number
  from: number // first record of the chunk in `data`
  count: number
}

interface Chunk {
  batch: Batch
  indices: number[] // positions in the batch
  claims: Int32Array
  message: VerifyMessage
  failures: number // claimed by a worker that died
}

interface Slot {
  worker: Worker
  claimId: number
  ready: boolean
  ready$: Promise<void>
  lastError?: Error
  /** workerHeapStatistics() requests not answered yet, by id. */
  heapRequests: Map<number, (stats: WorkerHeapStatistics | undefined) => void>
}

const WORKER_URL = new URL('./native-verify-worker.mjs', import.meta.url)

export class NativeVerifierPool implements SignatureVerifier {
  readonly backend = 'native' as const
  readonly threads: number
  private readonly inlineBelow: number
  private readonly maxChunk: number
  private readonly maxAttempts: number
  private readonly binding: NativeBinding
  private readonly workerUrl: URL
  private readonly youngGenerationMb: number
  private nextHeapRequest = 0
  private readonly slots: Slot[] = []
  /** Posted and not answered yet, by chunk id. */
  private readonly pending = new Map<number, Chunk>()
  private readonly initialReady: Promise<void>
  private nextChunkId = 0
  private nextClaimId = 1
  private closed = false
  private broken?: Error // set when no worker could start

  /** Starts the workers; await ready() (or use create()) to know they loaded the binding. */
  constructor (options: NativeVerifierPoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()))
    this.inlineBelow = options.inlineBelow ?? 16
    this.maxChunk = Math.max(1, options.maxChunk ?? 64)
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 2)
    this.binding = options.binding ?? loadNativeBinding()
    this.workerUrl = options.workerUrl ?? WORKER_URL
    this.youngGenerationMb = options.youngGenerationMb ?? VERIFY_WORKER_YOUNG_MB
    for (let i = 0; i < this.threads; i++) this.spawn()
    this.initialReady = Promise.all(this.slots.map(s => s.ready$)).then(() => {})
    this.initialReady.catch(() => {}) // reported through ready(); never an unhandled rejection
  }

  /** A pool whose workers have all loaded the binding; rejects (after cleaning up) if one could not. */
  static async create (options: NativeVerifierPoolOptions = {}): Promise<NativeVerifierPool> {
    const pool = new NativeVerifierPool(options)
    try {
      await pool.ready()
    } catch (err) {
      await pool.close()
      throw err
    }
    return pool
  }

  /** Resolves once every initial worker has loaded the binding. */
  async ready (): Promise<void> {
    return await this.initialReady
  }

  /** Live worker threads (a crashed one is replaced). */
  get threadCount (): number {
    return this.slots.length
  }

  threadIds (): number[] {
    return this.slots.map(s => s.worker.threadId)
  }

  /** Each live worker's heap, as its isolate reports it; a worker that exits first is left out. */
  async workerHeapStatistics (): Promise<WorkerHeapStatistics[]> {
    const answers = this.slots.filter(s => s.ready).map(async slot => await new Promise<WorkerHeapStatistics | undefined>(resolve => {
      const id = this.nextHeapRequest++
      slot.heapRequests.set(id, resolve)
      slot.worker.ref() // an idle worker is unref'd: the answer must keep the process alive
      slot.worker.postMessage({ type: 'heap-statistics', id })
    }))
    return (await Promise.all(answers)).filter((s): s is WorkerHeapStatistics => s !== undefined)
  }

  /** @internal Test hook: the worker at `index` dies on its next chunk, after claiming it if it can. */
  injectWorkerCrash (index: number): void {
    this.slots[index]?.worker.postMessage({ type: 'crash-on-next-job' })
  }

  async verifyBatch (checks: SignatureCheck[], signal?: AbortSignal): Promise<boolean[]> {
    if (this.closed) throw new Error('NativeVerifierPool is closed: verifyBatch called after close()')
    const results = new Array<boolean>(checks.length).fill(false)
    const indices: number[] = []
    for (let i = 0; i < checks.length; i++) if (isWellFormedCheck(checks[i])) indices.push(i)
    if (indices.length === 0) return results

    if (indices.length < this.inlineBelow) {
      for (const i of indices) results[i] = verifyNative(this.binding, checks[i])
      return results
    }
    if (this.broken !== undefined) throw this.broken
    if (signal?.aborted === true) throw new VerifyCancelled()

    return await new Promise<boolean[]>((resolve, reject) => {
      const size = Math.min(this.maxChunk, Math.ceil(indices.length / this.threads))
      const count = Math.ceil(indices.length / size)
      const data = new SharedArrayBuffer(indices.length * CHECK_BYTES)
      packChecks(indices.map(i => checks[i]), new Uint8Array(data))
      const claimWords = new SharedArrayBuffer(count * Int32Array.BYTES_PER_ELEMENT)
      const claims = new Int32Array(claimWords)
      const batch: Batch = { results, remaining: count, settled: false, resolve, reject, chunks: [] }
      for (let c = 0; c < count; c++) {
        const from = c * size
        const id = this.nextChunkId++
        const message: VerifyMessage = { type: 'verify', id, data, claims: claimWords, claimAt: c, from, count: Math.min(size, indices.length - from) }
        const chunk: Chunk = { batch, indices: indices.slice(from, from + size), claims, message, failures: 0 }
        batch.chunks.push(chunk)
        this.pending.set(id, chunk)
        for (const slot of this.slots) slot.worker.postMessage(message)
      }
      // busy workers keep the process alive, or a pending batch could be abandoned by an exiting event loop
      for (const slot of this.slots) slot.worker.ref()
      // cancelled: its unclaimed chunks are skipped by the workers
      if (signal !== undefined) {
        const onAbort = (): void => { this.fail(batch, new VerifyCancelled()) }
        signal.addEventListener('abort', onAbort, { once: true })
        batch.detach = () => { signal.removeEventListener('abort', onAbort) }
      }
    })
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    const err = new Error('NativeVerifierPool closed before the batch was verified')
    for (const chunk of [...this.pending.values()]) this.fail(chunk.batch, err)
    const slots = this.slots.splice(0)
    await Promise.all(slots.map(async s => await s.worker.terminate()))
  }

  private spawn (): void {
    const claimId = this.nextClaimId++
    // execArgv: [] keeps the parent's loader flags (tsx, vitest) out: the worker is plain JS.
    // resourceLimits: the young generation only (VERIFY_WORKER_YOUNG_MB)
    const resourceLimits = this.youngGenerationMb > 0 ? { maxYoungGenerationSizeMb: this.youngGenerationMb } : undefined
    const worker = new Worker(this.workerUrl, { execArgv: [], workerData: { claimId }, resourceLimits })
    let markReady!: () => void
    let failStart!: (err: Error) => void
    const ready$ = new Promise<void>((resolve, reject) => { markReady = resolve; failStart = reject })
    ready$.catch(() => {})
    const slot: Slot = { worker, claimId, ready: false, ready$, heapRequests: new Map() }
    this.slots.push(slot)
    // a replacement takes its share of what is still unclaimed (it skips the rest)
    for (const chunk of this.pending.values()) worker.postMessage(chunk.message)

    worker.on('message', (msg: { type: string, id?: number, results?: Uint8Array, heap?: WorkerHeapStatistics['heap'], newSpace?: WorkerHeapStatistics['newSpace'] }) => {
      if (msg.type === 'heap-statistics' && msg.id !== undefined && msg.heap !== undefined && msg.newSpace !== undefined) {
        const answer = slot.heapRequests.get(msg.id)
        slot.heapRequests.delete(msg.id)
        this.unrefIdle()
        answer?.({ threadId: worker.threadId, heap: msg.heap, newSpace: msg.newSpace })
      } else if (msg.type === 'ready') {
        slot.ready = true
        markReady()
        // this one only: a worker still starting keeps the process alive until it is ready (or fails)
        if (this.pending.size === 0 && slot.heapRequests.size === 0) worker.unref()
      } else if (msg.type === 'result' && msg.id !== undefined && msg.results !== undefined) {
        this.complete(msg.id, msg.results)
      }
    })
    worker.on('error', (err: Error) => { slot.lastError = err })
    worker.on('exit', (code: number) => {
      for (const answer of slot.heapRequests.values()) answer(undefined)
      slot.heapRequests.clear()
      const reason = slot.lastError ?? new Error(`verify worker exited with code ${code}`)
      failStart(reason)
      this.onWorkerExit(slot, reason)
    })
  }

  private complete (id: number, verdicts: Uint8Array): void {
    const chunk = this.pending.get(id)
    if (chunk === undefined) return // its batch failed, or a redo already answered
    this.pending.delete(id)
    if (verdicts.length !== chunk.indices.length) {
      this.fail(chunk.batch, new Error(`verify worker answered ${verdicts.length} verdicts for ${chunk.indices.length} checks`))
    } else {
      const { batch } = chunk
      for (let i = 0; i < chunk.indices.length; i++) batch.results[chunk.indices[i]] = verdicts[i] === 1
      if (--batch.remaining === 0 && !batch.settled) {
        batch.settled = true
        batch.detach?.()
        batch.resolve(batch.results)
      }
    }
    // idle workers must not keep the process alive
    this.unrefIdle()
  }

  private onWorkerExit (slot: Slot, reason: Error): void {
    const at = this.slots.indexOf(slot)
    if (at === -1) return // terminated by close()
    this.slots.splice(at, 1)

    // The chunks it claimed and never answered: claimable again, unless they have had their tries.
    const redo: Chunk[] = []
    for (const chunk of [...this.pending.values()]) {
      if (Atomics.load(chunk.claims, chunk.message.claimAt) !== slot.claimId) continue
      if (++chunk.failures >= this.maxAttempts) {
        this.fail(chunk.batch, new Error(`signature verify worker crashed (${reason.message}); batch not verified after ${chunk.failures} tries`))
      } else {
        Atomics.store(chunk.claims, chunk.message.claimAt, UNCLAIMED)
        redo.push(chunk)
      }
    }
    // the live workers may have passed these already
    for (const other of this.slots) for (const chunk of redo) other.worker.postMessage(chunk.message)

    if (slot.ready) {
      // It worked before: replace it (the replacement is sent every pending chunk).
      this.spawn()
    } else if (this.slots.length === 0) {
      // Never started and nothing else runs: no replacement would do better.
      this.broken = new Error(`NativeVerifierPool has no working thread: ${reason.message}`)
      for (const chunk of [...this.pending.values()]) this.fail(chunk.batch, this.broken)
    }
  }

  /** Idle workers (no chunk pending, no heap statistics asked of them) must not keep the process alive. */
  private unrefIdle (): void {
    if (this.pending.size > 0) return
    for (const slot of this.slots) if (slot.heapRequests.size === 0) slot.worker.unref()
  }

  /** Rejects the batch; its unclaimed chunks are cancelled, so no worker spends time on them. */
  private fail (batch: Batch, err: Error): void {
    for (const chunk of batch.chunks) {
      Atomics.compareExchange(chunk.claims, chunk.message.claimAt, UNCLAIMED, CANCELLED)
      this.pending.delete(chunk.message.id)
    }
    this.unrefIdle()
    if (batch.settled) return
    batch.settled = true
    batch.detach?.()
    batch.reject(err)
  }
}
