// Native libsecp256k1 verification: the binding used in the calling thread,
// and a pool of worker threads that spreads large batches over the cores.
//
// Consensus rule: 64-byte compact, low-S signatures over a 32-byte digest with
// a 33-byte compressed key. libsecp256k1's ecdsa_verify rejects high-S itself
// (as noble does with lowS: true); the shape rule is isWellFormedCheck().
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import {
  DIGEST_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, isWellFormedCheck,
  type SignatureCheck, type SignatureVerifier
} from './verifier.js'

/** The part of the `secp256k1` package's binding this module uses. */
export interface NativeBinding {
  /** true / false, or throws when the signature or key cannot be parsed. */
  ecdsaVerify: (signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array) => boolean
}

/**
 * Loads libsecp256k1 through `secp256k1/bindings`, never the package's
 * index.js: that one silently falls back to pure-JS elliptic (~50x slower),
 * and whether to fall back is the caller's decision. Throws if unavailable.
 */
export function loadNativeBinding (): NativeBinding {
  return createRequire(import.meta.url)('secp256k1/bindings') as NativeBinding
}

/** Verifies one check in the calling thread: false for anything malformed, high-S or wrong. */
export function verifyNative (binding: NativeBinding, check: SignatureCheck): boolean {
  if (!isWellFormedCheck(check)) return false
  try {
    return binding.ecdsaVerify(check.signature, check.digest, check.publicKey) === true
  } catch {
    return false
  }
}

/** Bytes per packed check; the worker (native-verify-worker.mjs) reads the same layout. */
export const CHECK_BYTES = DIGEST_BYTES + SIGNATURE_BYTES + PUBLIC_KEY_BYTES

/** Packs well-formed checks as digest | signature | public key, one record each. */
export function packChecks (checks: SignatureCheck[]): ArrayBuffer {
  const bytes = new Uint8Array(checks.length * CHECK_BYTES)
  for (let i = 0; i < checks.length; i++) {
    const at = i * CHECK_BYTES
    const c = checks[i]
    bytes.set(c.digest, at)
    bytes.set(c.signature, at + DIGEST_BYTES)
    bytes.set(c.publicKey, at + DIGEST_BYTES + SIGNATURE_BYTES)
  }
  return bytes.buffer
}

export interface NativeVerifierPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  threads?: number
  /** Batches with fewer well-formed checks than this run in the calling thread (no message round trip). Default 16; 0 sends everything to workers. */
  inlineBelow?: number
  /** Most checks per message to a worker; smaller chunks balance load and limit redone work after a crash. Default 512. */
  maxChunk?: number
  /** Tries per chunk: a chunk whose worker dies is redone on another worker until this many tries, then its batch rejects. Default 2. */
  maxAttempts?: number
  /** Binding for the calling thread; default loadNativeBinding(). Workers load their own. */
  binding?: NativeBinding
  /** Worker entry; default native-verify-worker.mjs. Tests point it at a failing one. */
  workerUrl?: URL
}

interface Batch {
  results: boolean[]
  remaining: number // chunks not yet answered
  settled: boolean
  resolve: (results: boolean[]) => void
  reject: (err: Error) => void
}

interface Chunk {
  id: number
  batch: Batch
  indices: number[] // positions in the batch
  // Packed when verifyBatch is called, so a caller reusing its buffers
  // afterwards cannot change what is verified; kept to redo the chunk.
  packed: Uint8Array
  attempts: number
}

interface Slot {
  worker: Worker
  inFlight: Map<number, Chunk>
  ready: boolean
  ready$: Promise<void>
  lastError?: Error
}

// At least two chunks per worker (one being verified, the next in its port:
// no idle round trip), and up to ~100 ms of checks: the main thread hands
// over the next chunk only when free, and connecting a block keeps it busy
// for tens of ms at a time, which left the workers idle (BENCHMARKS.md,
// issue 12 session 4). The queue is first in, first out either way.
const MIN_CHUNKS_PER_WORKER = 2
const MAX_CHECKS_PER_WORKER = 2048

function checksInFlight (slot: Slot): number {
  let n = 0
  for (const chunk of slot.inFlight.values()) n += chunk.indices.length
  return n
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
  private readonly slots: Slot[] = []
  private readonly queue: Chunk[] = []
  private readonly initialReady: Promise<void>
  private nextChunkId = 0
  private closed = false
  private broken?: Error // set when no worker could start

  /** Starts the workers; await ready() (or use create()) to know they loaded the binding. */
  constructor (options: NativeVerifierPoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()))
    this.inlineBelow = options.inlineBelow ?? 16
    this.maxChunk = Math.max(1, options.maxChunk ?? 512)
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 2)
    this.binding = options.binding ?? loadNativeBinding()
    this.workerUrl = options.workerUrl ?? WORKER_URL
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

  /** @internal Test hook: the worker at `index` dies when it receives its next chunk. */
  injectWorkerCrash (index: number): void {
    this.slots[index]?.worker.postMessage({ type: 'crash-on-next-job' })
  }

  async verifyBatch (checks: SignatureCheck[]): Promise<boolean[]> {
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

    return await new Promise<boolean[]>((resolve, reject) => {
      const batch: Batch = { results, remaining: 0, settled: false, resolve, reject }
      const size = Math.min(this.maxChunk, Math.ceil(indices.length / this.threads))
      for (let from = 0; from < indices.length; from += size) {
        const part = indices.slice(from, from + size)
        batch.remaining++
        const packed = new Uint8Array(packChecks(part.map(i => checks[i])))
        this.queue.push({ id: this.nextChunkId++, batch, indices: part, packed, attempts: 0 })
      }
      this.pump()
    })
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    const err = new Error('NativeVerifierPool closed before the batch was verified')
    for (const chunk of this.queue) this.fail(chunk.batch, err)
    this.queue.length = 0
    const slots = this.slots.splice(0)
    for (const slot of slots) for (const chunk of slot.inFlight.values()) this.fail(chunk.batch, err)
    await Promise.all(slots.map(async s => await s.worker.terminate()))
  }

  private spawn (): void {
    // execArgv: [] keeps the parent's loader flags (tsx, vitest) out: the worker is plain JS.
    const worker = new Worker(this.workerUrl, { execArgv: [] })
    let markReady!: () => void
    let failStart!: (err: Error) => void
    const ready$ = new Promise<void>((resolve, reject) => { markReady = resolve; failStart = reject })
    ready$.catch(() => {})
    const slot: Slot = { worker, inFlight: new Map(), ready: false, ready$ }
    this.slots.push(slot)

    worker.on('message', (msg: { type: string, id?: number, results?: Uint8Array }) => {
      if (msg.type === 'ready') {
        slot.ready = true
        markReady()
        if (slot.inFlight.size === 0) worker.unref()
      } else if (msg.type === 'result' && msg.id !== undefined && msg.results !== undefined) {
        this.complete(slot, msg.id, msg.results)
      }
    })
    worker.on('error', (err: Error) => { slot.lastError = err })
    worker.on('exit', (code: number) => {
      const reason = slot.lastError ?? new Error(`verify worker exited with code ${code}`)
      failStart(reason)
      this.onWorkerExit(slot, reason)
    })
  }

  private complete (slot: Slot, id: number, verdicts: Uint8Array): void {
    const chunk = slot.inFlight.get(id)
    if (chunk === undefined) return
    slot.inFlight.delete(id)
    // Idle workers must not keep the process alive; busy ones must, or a
    // pending verifyBatch could be abandoned by an exiting event loop.
    if (slot.inFlight.size === 0) slot.worker.unref()
    const { batch } = chunk
    if (!batch.settled) {
      for (let i = 0; i < chunk.indices.length; i++) batch.results[chunk.indices[i]] = verdicts[i] === 1
      if (--batch.remaining === 0) {
        batch.settled = true
        batch.resolve(batch.results)
      }
    }
    this.pump()
  }

  private onWorkerExit (slot: Slot, reason: Error): void {
    const at = this.slots.indexOf(slot)
    if (at === -1) return // terminated by close()
    this.slots.splice(at, 1)

    // Redo the dead worker's chunks first, unless they have had their tries.
    // A worker that never started never tried them: that does not count.
    const redo = [...slot.inFlight.values()].reverse()
    for (const chunk of redo) {
      if (!slot.ready) chunk.attempts--
      if (chunk.attempts >= this.maxAttempts) {
        this.fail(chunk.batch, new Error(`signature verify worker crashed (${reason.message}); batch not verified after ${chunk.attempts} tries`))
      } else {
        this.queue.unshift(chunk)
      }
    }

    if (slot.ready) {
      // It worked before: replace it.
      this.spawn()
    } else if (this.slots.length === 0) {
      // Never started and nothing else runs: no replacement would do better.
      this.broken = new Error(`NativeVerifierPool has no working thread: ${reason.message}`)
      for (const chunk of this.queue) this.fail(chunk.batch, this.broken)
      this.queue.length = 0
    }
    this.pump()
  }

  private fail (batch: Batch, err: Error): void {
    if (batch.settled) return
    batch.settled = true
    batch.reject(err)
  }

  /** Hands queued chunks to the least busy workers. */
  private pump (): void {
    while (this.queue.length > 0) {
      let target: Slot | undefined
      let targetLoad = Infinity
      for (const slot of this.slots) {
        const load = checksInFlight(slot)
        if ((slot.inFlight.size < MIN_CHUNKS_PER_WORKER || load < MAX_CHECKS_PER_WORKER) && load < targetLoad) { target = slot; targetLoad = load }
      }
      if (target === undefined) return
      const chunk = this.queue.shift() as Chunk
      if (chunk.batch.settled) continue // its batch already failed
      chunk.attempts++
      target.inFlight.set(chunk.id, chunk)
      target.worker.ref()
      // A copy is transferred, the chunk keeps its own for a redo (a memcpy,
      // ~1/10000 of the verification time).
      const buffer = chunk.packed.slice().buffer
      target.worker.postMessage({ type: 'verify', id: chunk.id, buffer }, [buffer])
    }
  }
}
