// Worker thread of NativeVerifierPool (native-verifier.ts): verifies packed
// signature checks with native libsecp256k1. Plain ESM JavaScript so that the
// worker starts without a TypeScript loader under vitest, tsx and node alike.
//
// Every worker is sent every chunk; a chunk is verified by the worker that
// claims it first (compare-and-swap of its claim word from 0 to this
// worker's claim id), and skipped by the others.
import { parentPort, workerData } from 'node:worker_threads'
import { createRequire } from 'node:module'

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

parentPort.on('message', (msg) => {
  if (msg.type === 'crash-on-next-job') {
    crashOnNextJob = true
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
    try {
      // libsecp256k1 rejects high-S itself; parse failures throw: both are false.
      results[i] = secp.ecdsaVerify(
        bytes.subarray(at + 32, at + 96),
        bytes.subarray(at, at + 32),
        bytes.subarray(at + 96, at + CHECK_BYTES)
      ) === true ? 1 : 0
    } catch {
      results[i] = 0
    }
  }
  parentPort.postMessage({ type: 'result', id: msg.id, results }, [results.buffer])
})

parentPort.postMessage({ type: 'ready' })
