// Worker thread of NonceSearch: scans one nonce range per job.
//
// The scan is one synchronous loop, so the worker cannot receive a message
// while it runs. Abandonment therefore goes through shared memory: the main
// thread bumps `generation` (Atomics) and the loop checks it between chunks
// of a few thousand hashes, which keeps a stale job alive for ~ms only.
//
// Messages in:  { type: 'job', generation, header, target, start, count }
// Messages out: { type: 'progress', hashes }            hashes since last report
//               { type: 'found', generation, nonce, hashes }
//               { type: 'exhausted', generation, hashes }
//               (an abandoned job only reports its hashes as progress)
import { parentPort, workerData } from 'node:worker_threads'
import { searchNonces } from './sha256-header.mjs'

/** ~3 ms of hashing at ~1.5 MH/s: the abandonment latency and the per-chunk overhead. */
const CHUNK = 4096
const PROGRESS_INTERVAL_MS = 100

const generation = new Int32Array(workerData.generation)

function runJob (job) {
  let next = job.start
  const end = job.start + job.count
  let unreported = 0
  let lastReport = performance.now()
  while (next < end) {
    if (Atomics.load(generation, 0) !== job.generation) break
    const n = Math.min(CHUNK, end - next)
    const nonce = searchNonces(job.header, job.target, next, n)
    if (nonce !== -1) {
      parentPort.postMessage({ type: 'found', generation: job.generation, nonce, hashes: unreported + nonce - next + 1 })
      return
    }
    unreported += n
    next += n
    const now = performance.now()
    if (now - lastReport >= PROGRESS_INTERVAL_MS) {
      parentPort.postMessage({ type: 'progress', hashes: unreported })
      unreported = 0
      lastReport = now
    }
  }
  if (next >= end) {
    parentPort.postMessage({ type: 'exhausted', generation: job.generation, hashes: unreported })
  } else if (unreported > 0) {
    parentPort.postMessage({ type: 'progress', hashes: unreported })
  }
}

parentPort.on('message', (msg) => {
  if (msg.type === 'job') runJob(msg)
})
