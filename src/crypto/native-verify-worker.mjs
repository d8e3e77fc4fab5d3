// Worker thread of NativeVerifierPool (native-verifier.ts): verifies packed
// signature checks with native libsecp256k1. Plain ESM JavaScript so that the
// worker starts without a TypeScript loader under vitest, tsx and node alike.
//
// Every worker is sent every chunk; a chunk is verified by the worker that
// claims it first (compare-and-swap of its claim word from 0 to this
// worker's claim id), and skipped by the others.
import { parentPort, workerData } from 'node:worker_threads'
import { createRequire } from 'node:module'
import v8 from 'node:v8'

// The binding itself, not the package's index.js, which silently falls back to
// slow pure-JS elliptic. If it cannot load, this throws and the pool sees the
// worker fail before 'ready'.
const secp = createRequire(import.meta.url)('secp256k1/bindings')

// Record layout, shared with packChecks() in native-binding.ts:
// digest 32 | compact signature 64 | compressed public key 33.
const CHECK_BYTES = 129
const UNCLAIMED = 0
const claimId = workerData?.claimId

// Test hook: simulates a worker dying mid-chunk (the pool's redo path).
let crashOnNextJob = false

// One check's parts, copied out of the shared records into these three
// buffers: no view is made per check, so verifying allocates nothing on this
// isolate's heap but the chunk's result array (its young generation then
// stays small; the pool bounds it, native-verifier.ts).
const signature = new Uint8Array(64)
const digest = new Uint8Array(32)
const publicKey = new Uint8Array(33)

/** Copies `target.length` bytes of `bytes` from `at` into `target`. */
function copyInto (target, bytes, at) {
  for (let i = 0; i < target.length; i++) target[i] = bytes[at + i]
}

parentPort.on('message', (msg) => {
  if (msg.type === 'crash-on-next-job') {
    crashOnNextJob = true
    return
  }
  if (msg.type === 'heap-statistics') {
    // this isolate's heap, for the pool's workerHeapStatistics() (Node 20 has no Worker.getHeapStatistics())
    const newSpace = v8.getHeapSpaceStatistics().find(s => s.space_name === 'new_space')
    parentPort.postMessage({ type: 'heap-statistics', id: msg.id, heap: v8.getHeapStatistics(), newSpace })
    return
  }
  if (msg.type !== 'verify') return
  const claimed = Atomics.compareExchange(new Int32Array(msg.claims), msg.claimAt, UNCLAIMED, claimId) === UNCLAIMED
  if (crashOnNextJob) throw new Error('simulated verify worker crash')
  if (!claimed) return // another worker has it (or its batch failed)

  const bytes = new Uint8Array(msg.data, msg.from * CHECK_BYTES, msg.count * CHECK_BYTES)
  const results = new Uint8Array(msg.count)
  for (let i = 0; i < msg.count; i++) {
    const at = i * CHECK_BYTES
    copyInto(digest, bytes, at)
    copyInto(signature, bytes, at + 32)
    copyInto(publicKey, bytes, at + 96)
    try {
      // libsecp256k1 rejects high-S itself; parse failures throw: both are false.
      results[i] = secp.ecdsaVerify(signature, digest, publicKey) === true ? 1 : 0
    } catch {
      results[i] = 0
    }
  }
  parentPort.postMessage({ type: 'result', id: msg.id, results }, [results.buffer])
})

parentPort.postMessage({ type: 'ready' })
