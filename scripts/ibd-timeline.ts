// Where an initial sync's time goes (issue 12, mark 4): ibd_sync_tx's
// workload (bench/p2p.bench.ts), with the syncing node's requests, runs and
// signature batches timed, its main thread's event-loop utilisation, and
// the CPU of each of its threads and of the serving daemon over the sync.
//   [IBD_SKIP_SIGNATURES=1] npx tsx scripts/ibd-timeline.ts [transactions=50000] [-v: every request, run and batch] [--marks: a line at the sync's start and end, for node --trace-gc-nvp] [--alloc: the main thread's allocations by function] [--live: what the sync allocated that is still alive at half its height, by function]
import '../src/polyfill.js'
import { readFileSync, readdirSync } from 'node:fs'
import { performance, PerformanceObserver } from 'node:perf_hooks'
import { Session } from 'node:inspector/promises'
import { Chain } from '../src/chain/chain.js'
import { SyncManager } from '../src/p2p/sync.js'
import { ChainStore } from '../src/chain/store.js'
import { FullNode } from '../src/node/full-node.js'
import type { SignatureVerifier } from '../src/crypto/verifier.js'
import { ibdChain, ibdSource } from '../bench/p2p.bench.js'
import { Cleanup, testConfig, testLogger } from '../bench/support/nodes.js'
import { waitFor } from '../bench/support/wait.js'
import { processCpuSeconds, statCpuSeconds } from '../bench/support/process.js'

const args = process.argv.slice(2)
const verbose = args.includes('-v')
const txs = Number(args.find(a => /^\d+$/.test(a)) ?? 50_000)

type Interval = [number, number, string]
const requests: Interval[] = []
const runs: Interval[] = []
const batches: Interval[] = []
const now = (): number => performance.now()
/** The main thread's GC pauses: [start, end, kind] (1 scavenge, 2 mark-compact, 4 incremental marking, 8 weak callbacks). */
const pauses: Interval[] = []
new PerformanceObserver(list => { for (const e of list.getEntries()) pauses.push([e.startTime, e.startTime + e.duration, String((e as any).detail?.kind)]) }).observe({ entryTypes: ['gc'] })

const request = (SyncManager.prototype as any).request
;(SyncManager.prototype as any).request = async function (peer: unknown, req: { kind: string, hashes?: unknown[] }) {
  const t0 = now()
  try {
    const res = await request.call(this, peer, req)
    requests.push([t0, now(), `${req.kind} ${req.hashes?.length ?? ''}`])
    return res
  } catch (err) { requests.push([t0, now(), `${req.kind} failed`]); throw err }
}
// IBD_NO_PREPARE=1: the download does not start the verify workers ahead of the first batch (as before session 10)
if (process.env.IBD_NO_PREPARE === '1') Chain.prototype.expectSignatures = () => {}
// the runs' batch writes (LevelDB on libuv's pool; slow when LevelDB's compaction falls behind)
const writes: Interval[] = []
const stage = ChainStore.prototype.stage
ChainStore.prototype.stage = function () {
  const batch = stage.call(this)
  const write = batch.write.bind(batch)
  batch.write = async () => { const t0 = now(); try { await write() } finally { writes.push([t0, now(), 'write']) } }
  return batch
}
const processBlocks = Chain.prototype.processBlocks
Chain.prototype.processBlocks = async function (blocks) {
  const t0 = now()
  try { return await processBlocks.call(this, blocks) } finally { runs.push([t0, now(), `${blocks.length} blocks`]) }
}

/** CPU seconds of each thread of a process (utime + stime). */
function threadCpu (pid: number | 'self'): Map<string, number> {
  const out = new Map<string, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(tid, statCpuSeconds(`/proc/${pid}/task/${tid}/stat`))
    } catch {} // the thread ended meanwhile
  }
  return out
}
/** CPU seconds each thread spent between two threadCpu() readings, above 10 ms, largest first. */
function threadDeltas (before: Map<string, number>, after: Map<string, number>): Array<readonly [string, number]> {
  return [...after].map(([tid, c]) => [tid, c - (before.get(tid) ?? 0)] as const).filter(([, c]) => c > 0.01).sort((a, b) => b[1] - a[1])
}
/** This process's descendants (the serving daemon and its launcher). */
function descendants (): number[] {
  const parent = new Map<number, number>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try { parent.set(Number(d), Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1])) } catch {}
  }
  const out: number[] = []
  const walk = (p: number): void => { for (const [c, pp] of parent) if (pp === p) { out.push(c); walk(c) } }
  walk(process.pid)
  return out
}

/** Milliseconds of [a, b] covered by at least one interval. */
function covered (iv: Interval[], a: number, b: number): number {
  const sorted = iv.map(([s, e]) => [Math.max(s, a), Math.min(e, b)]).filter(([s, e]) => e > s).sort((x, y) => x[0] - y[0])
  let total = 0; let end = a
  for (const [s, e] of sorted) { if (e <= end) continue; total += e - Math.max(s, end); end = e }
  return total
}

const cleanup = new Cleanup()
try {
  const { blocks, txCount, sigRate } = await ibdChain(txs)
  const height = blocks.length
  const execPath = process.execPath
  if (process.env.IBD_SERVER_NODE !== undefined) process.execPath = process.env.IBD_SERVER_NODE
  const { target } = await ibdSource(blocks, cleanup)
  process.execPath = execPath
  const fresh = await FullNode.start(testConfig('full', cleanup.tempDir()), testLogger('fresh'))
  cleanup.add(async () => await fresh.stop())
  const verifier: SignatureVerifier = (fresh as any).verifier
  const verifyBatch = verifier.verifyBatch.bind(verifier)
  // IBD_SKIP_SIGNATURES=1 (a measurement only): every signature passes unverified, so the sync's rate is
  // that of everything but the signatures: its of_limit is a ceiling for the real sync, were signatures free
  const skip = process.env.IBD_SKIP_SIGNATURES === '1'
  verifier.verifyBatch = async (checks, signal) => {
    const t0 = now()
    try { return skip ? checks.map(() => true) : await verifyBatch(checks, signal) } finally { batches.push([t0, now(), `${checks.length} checks`]) }
  }
  const daemons = descendants()
  const cpu0 = threadCpu('self')
  const daemonCpu0 = daemons.map(p => processCpuSeconds(p))
  const daemonThreads0 = daemons.map(p => { try { return threadCpu(p) } catch { return new Map<string, number>() } })
  /** Bytes this process had written to storage (block files, LevelDB's log and its compactions). */
  const writtenBytes = (): number => Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN)
  const written0 = writtenBytes()
  const elu0 = performance.eventLoopUtilization()
  // with node --trace-gc-nvp: the sync's collections are the lines between these two
  if (args.includes('--marks')) console.log('--- sync: start')
  // --alloc: where the main thread's allocations over the sync come from (sampled, collected ones included)
  // --live: the same sampling without collected objects, stopped at half the height
  const live = args.includes('--live')
  const inspector = args.includes('--alloc') || live ? new Session() : undefined
  if (inspector !== undefined) {
    inspector.connect()
    await inspector.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: !live, includeObjectsCollectedByMinorGC: !live } as any)
  }
  const t0 = now()
  await fresh.host.node.dial(target)
  let sampled: any
  if (live && inspector !== undefined) {
    await waitFor(() => fresh.chain.height >= height / 2, 'half the height', 600_000, 1)
    sampled = await inspector.post('HeapProfiler.stopSampling')
  }
  await waitFor(() => fresh.chain.height === height, 'initial block download', 600_000)
  const t1 = now()
  if (args.includes('--marks')) console.log('--- sync: end')
  if (inspector !== undefined) {
    const { profile } = sampled ?? await inspector.post('HeapProfiler.stopSampling') as any
    const bySite = new Map<string, number>()
    const name = (f: any): string => `${f.functionName || '(anon)'} ${String(f.url).split('/').pop()}:${f.lineNumber + 1}`
    // a builtin (subarray, set, ...) is named with its caller
    const walk = (node: any, parent: string): void => {
      const site = node.callFrame.url === '' && parent !== '' ? `${name(node.callFrame)} < ${parent}` : name(node.callFrame)
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize)
      for (const c of node.children) walk(c, name(node.callFrame))
    }
    walk(profile.head, '')
    const total = [...bySite.values()].reduce((a, b) => a + b, 0)
    console.log(live ? `alive at half the height, allocated since the sync began (sampled): ${(total / 1e6).toFixed(1)} MB; by function:` : `allocated on the main thread over the sync (sampled): ${(total / 1e6).toFixed(0)} MB, ${(total / txs).toFixed(0)} bytes a transaction; by function:`)
    for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(bytes / 1e6).toFixed(1).padStart(8)} MB ${(100 * bytes / total).toFixed(1).padStart(5)}%  ${site}`)
    inspector.disconnect()
  }
  const elu = performance.eventLoopUtilization(elu0)
  const cpu1 = threadCpu('self')
  const daemonCpu = daemons.map((p, i) => { try { return processCpuSeconds(p) - daemonCpu0[i] } catch { return 0 } })
  const daemonThreads = daemons.map((p, i) => { try { return threadDeltas(daemonThreads0[i], threadCpu(p)) } catch { return [] } })
  const seconds = (t1 - t0) / 1000
  const pct = (ms: number): string => `${(100 * ms / (t1 - t0)).toFixed(0)}%`
  const threads = threadDeltas(cpu0, cpu1)
  const main = threads.find(([tid]) => tid === String(process.pid))?.[1] ?? 0
  const blockRequests = requests.filter(r => r[2].startsWith('getBlocks') && r[0] >= t0)
  const meanLatency = blockRequests.reduce((a, r) => a + r[1] - r[0], 0) / Math.max(1, blockRequests.length)
  // the sync's window on the monotonic clock a --cpu-prof profile uses (µs)
  const mono = (ms: number): number => Math.round(Number(process.hrtime.bigint() / 1000n) - (now() - ms) * 1000)
  console.log(JSON.stringify({ transactions: txCount, window_us: [mono(t0), mono(t1)], seconds: +seconds.toFixed(2), tx_per_s: Math.round(txCount / seconds), of_limit: +(txCount / seconds / sigRate).toFixed(2), limit: Math.round(sigRate) }))
  daemons.forEach((p, i) => { if (daemonThreads[i].length > 0) console.log(`daemon ${p} threads: ${daemonThreads[i].map(([tid, c]) => `${tid} ${c.toFixed(2)}`).join(', ')}`) })
  console.log(`written to storage: ${((writtenBytes() - written0) / 1e6).toFixed(1)} MB`)
  console.log(`main thread: event loop ${(100 * elu.utilization).toFixed(0)}% busy, CPU ${main.toFixed(2)} s (${pct(main * 1000)})`)
  console.log(`syncing process CPU ${threads.reduce((a, [, c]) => a + c, 0).toFixed(2)} s: ${threads.map(([tid, c]) => `${tid === String(process.pid) ? 'main' : tid} ${c.toFixed(2)}`).join(', ')}`)
  console.log(`serving daemon CPU ${daemonCpu.reduce((a, b) => a + b, 0).toFixed(2)} s; both processes ${(threads.reduce((a, [, c]) => a + c, 0) + daemonCpu.reduce((a, b) => a + b, 0)).toFixed(2)} s of ${(2 * seconds).toFixed(2)} (two cores)`)
  console.log(`signatures outstanding ${pct(covered(batches, t0, t1))} of the sync (${batches.length} batches); a run processing ${pct(covered(runs, t0, t1))} (${runs.length} runs); a getBlocks in flight ${pct(covered(blockRequests, t0, t1))} (${blockRequests.length}, mean ${meanLatency.toFixed(1)} ms)`)
  const inSync = writes.filter(w => w[0] >= t0 && w[0] <= t1)
  const writeMs = inSync.map(w => w[1] - w[0]).sort((a, b) => a - b)
  console.log(`run writes: ${inSync.length}, a write in flight ${pct(covered(inSync, t0, t1))} of the sync; median ${(writeMs[writeMs.length >> 1] ?? 0).toFixed(1)} ms, 90th ${(writeMs[Math.floor(writeMs.length * 0.9)] ?? 0).toFixed(1)}, max ${(writeMs[writeMs.length - 1] ?? 0).toFixed(1)}`)
  const gcKinds = new Map<string, [number, number]>()
  for (const [s, e, kind] of pauses) if (s >= t0 && s <= t1) { const k = gcKinds.get(kind) ?? [0, 0]; k[0]++; k[1] += e - s; gcKinds.set(kind, k) }
  console.log(`main-thread GC pauses: ${[...gcKinds].map(([kind, [n, ms]]) => `kind ${kind}: ${n} × ${(ms / n).toFixed(2)} ms = ${ms.toFixed(0)} ms`).join('; ')}`)
  if (verbose) {
    const events = [...requests.map(r => [r, 'request'] as const), ...runs.map(r => [r, 'run'] as const), ...batches.map(r => [r, 'verify'] as const)].filter(([r]) => r[0] >= t0).sort((a, b) => a[0][0] - b[0][0])
    for (const [[s, e, what], kind] of events) console.log(`${(s - t0).toFixed(1).padStart(8)} → ${(e - t0).toFixed(1).padStart(8)}  ${kind} ${what}`)
  }
} finally {
  await cleanup.run()
}
