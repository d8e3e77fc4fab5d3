// The verify workers' heaps: a NativeVerifierPool of 2 workers verifies 25
// batches of 2,000 checks; prints one JSON line with each worker's heap as
// its isolate reports it (pool.workerHeapStatistics(): total, physical,
// used, new space committed and physical, MiB) when started and after, this
// process's RSS growth over the pool, and CPU per signature (all threads).
// Usage: npx tsx scripts/verify-worker-heap.ts [youngMb] [growth]
//   youngMb: the workers' young generation (resourceLimits, MiB); default
//            the pool's (VERIFY_WORKER_YOUNG_MB), 0 for V8's default
//   growth:  'daemon' sets V8's semi-space growth factor to 1 once the
//            workers run, as `minicoin node` does (src/cli/heap-growth.mjs)
// BENCHMARKS.md, issue 12 session 10.
import { readFileSync } from 'node:fs'
import v8 from 'node:v8'
import { sha256 } from '@noble/hashes/sha2.js'
import { publicKeyOf, signDigest } from '../src/crypto/keys.js'
import { NativeVerifierPool, VERIFY_WORKER_YOUNG_MB, type WorkerHeapStatistics } from '../src/crypto/native-verifier.js'

const young = process.argv[2] === undefined ? VERIFY_WORKER_YOUNG_MB : Number(process.argv[2])
const daemonGrowth = process.argv[3] === 'daemon'
const BATCHES = 25
const BATCH = 2000

const MIB = 2 ** 20
const mib = (n: number): number => Math.round(n / MIB * 10) / 10
const rss = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const distinct = Array.from({ length: 256 }, (_, i) => {
  const priv = sha256(text(`worker heap key ${i}`))
  const digest = sha256(text(`worker heap message ${i}`))
  return { digest, signature: signDigest(digest, priv), publicKey: publicKeyOf(priv) }
})
const checks = Array.from({ length: BATCH }, (_, i) => distinct[i % distinct.length])
const show = (stats: WorkerHeapStatistics[]): object[] => stats.map(w => ({
  total: mib(w.heap.total_heap_size), physical: mib(w.heap.total_physical_size), used: mib(w.heap.used_heap_size), newSpace: mib(w.newSpace.space_size), newSpacePhysical: mib(w.newSpace.physical_space_size)
}))

const rss0 = rss()
const pool = await NativeVerifierPool.create({ threads: 2, inlineBelow: 0, youngGenerationMb: young })
try {
  if (daemonGrowth) v8.setFlagsFromString('--semi-space-growth-factor=1')
  const rssStarted = rss()
  const started = show(await pool.workerHeapStatistics())
  const cpu0 = process.cpuUsage()
  for (let b = 0; b < BATCHES; b++) {
    if (!(await pool.verifyBatch(checks)).every(ok => ok)) throw new Error('a valid signature did not verify')
  }
  const cpu = process.cpuUsage(cpu0)
  console.log(JSON.stringify({
    youngMb: young,
    growth: daemonGrowth ? 'daemon' : 'v8',
    rssStartedMiB: Math.round(rssStarted - rss0),
    rssAfterMiB: Math.round(rss() - rss0),
    cpuMicrosPerSig: Math.round((cpu.user + cpu.system) / (BATCHES * BATCH) * 10) / 10,
    started,
    after: show(await pool.workerHeapStatistics())
  }))
} finally {
  await pool.close()
}
