// Timeline of one block connect with real signatures (issue 12, mark 3):
// when each slice reaches the verifier, when each worker starts and ends each
// chunk, when the batch is staged, when the verdict and the write resolve,
// and the main thread's GC pauses. The workload is bench/chain.bench.ts's.
//   npx tsx scripts/connect-timeline.ts [connects=3] [-v: every chunk] [--prof: main-thread CPU profile of the connects, top functions by self time]
import { readFileSync, writeFileSync, rmSync } from 'node:fs'
import { PerformanceObserver } from 'node:perf_hooks'
import { Session } from 'node:inspector/promises'
import { Chain } from '../src/chain/chain.js'
import { ChainStore } from '../src/chain/store.js'
import { decodeBlock, encodeBlock } from '../src/core/encoding.js'
import { regtest } from '../src/core/params.js'
import { CoalescingVerifier } from '../src/crypto/coalescing-verifier.js'
import { loadNativeBinding, NativeVerifierPool } from '../src/crypto/native-verifier.js'
import type { SignatureCheck } from '../src/crypto/verifier.js'
import { allChecks, buildWorkload } from '../bench/chain.bench.js'
import { tempDir } from '../bench/support/chain-fixtures.js'

// the worker, timing each job in absolute time (timeOrigin + now)
const workerSrc = new URL('../src/crypto/native-verify-worker.mjs', import.meta.url)
const timedUrl = new URL('./.timeline-worker.mjs', import.meta.url)
const src = readFileSync(workerSrc, 'utf8')
  .replace("parentPort.on('message', (msg) => {", "parentPort.on('message', (msg) => {\n  const t0 = performance.timeOrigin + performance.now()")
  .replace(/parentPort\.postMessage\(\{ type: 'result', id: msg\.id, (.*?)\}/, "parentPort.postMessage({ type: 'result', id: msg.id, $1, t0, t1: performance.timeOrigin + performance.now() }")
if (!src.includes('t1:')) throw new Error('could not instrument the worker')
writeFileSync(timedUrl, src)

const abs = (): number => performance.timeOrigin + performance.now()
let origin = abs()
const events: Array<[number, string]> = []
const mark = (what: string, at = abs()): void => { events.push([at - origin, what]) }

const gc = new PerformanceObserver(list => { for (const e of list.getEntries()) events.push([performance.timeOrigin + e.startTime - origin, `gc ${e.duration.toFixed(1)} ms (kind ${(e as any).detail?.kind})`]) })
gc.observe({ entryTypes: ['gc'] })

const prepare = ChainStore.prototype.prepare
ChainStore.prototype.prepare = function (ops) {
  mark(`stage ${ops.length} ops: start`)
  const b = prepare.call(this, ops)
  mark('stage: end')
  const write = b.write
  return { ...b, write: async () => { mark('write: start'); await write(); mark('write: resolved') } }
}

// workload: bench/chain.bench.ts
const { prefix, big, txs } = buildWorkload()
const bytes = encodeBlock(big)
const prefixBytes = prefix.map(b => encodeBlock(b))
const checks: SignatureCheck[] = allChecks(txs)

const pool = await NativeVerifierPool.create({ binding: loadNativeBinding(), workerUrl: timedUrl })
const verifier = new CoalescingVerifier(pool)
for (const slot of (pool as any).slots) {
  slot.worker.on('message', (m: any) => {
    if (m.type !== 'result') return
    const w = `w${slot.worker.threadId as number}`
    ;(busy[w] ??= []).push([m.t0 - origin, m.t1 - origin])
    if (verbose) events.push([m.t0 - origin, `  ${w} ${m.results.length} start`], [m.t1 - origin, `  ${w} end (read ${(abs() - m.t1).toFixed(1)} ms later)`])
  })
}
const inner = pool.verifyBatch.bind(pool)
pool.verifyBatch = async (c) => { mark(`slice of ${c.length} to the pool`); const r = await inner(c); mark(`slice of ${c.length} answered`); return r }

const selfMs = new Map<string, number>()
function tally (profile: any): void {
  const byId = new Map<number, any>(profile.nodes.map((nd: any) => [nd.id, nd]))
  for (let i = 0; i < profile.samples.length; i++) {
    const nd = byId.get(profile.samples[i])
    const f = nd.callFrame
    const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`
    selfMs.set(name, (selfMs.get(name) ?? 0) + profile.timeDeltas[i] / 1000)
  }
}
const n = Number(process.argv[2] ?? 3)
const verbose = process.argv.includes('-v')
let busy: Record<string, Array<[number, number]>> = {}
const session = process.argv.includes('--prof') ? new Session() : undefined
let profiled = 0
if (session !== undefined) { session.connect(); await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 200 }) }
for (let trial = 0; trial < n; trial++) {
  origin = abs(); events.length = 0
  await inner(checks)
  const sigsOnly = abs() - origin
  const dir = tempDir('minicoin-timeline-')
  const chain = await Chain.open({ location: dir.path, params: regtest, verifier })
  // the prefix decoded from bytes, as the bench connects it
  for (const b of prefixBytes) await chain.processBlock(decodeBlock(b, regtest.maxBlockSize))
  if (process.argv.includes('--settle')) await new Promise(resolve => setTimeout(resolve, 50))
  origin = abs(); events.length = 0; busy = {}
  if (session !== undefined) await session.post('Profiler.start')
  origin = abs()
  const cpu0 = process.cpuUsage()
  const block = decodeBlock(bytes, regtest.maxBlockSize)
  mark('decoded')
  const r = await chain.processBlock(block)
  mark(`processBlock: ${r.status}`)
  const cpu = process.cpuUsage(cpu0)
  if (session !== undefined) { const { profile } = await session.post('Profiler.stop'); tally(profile); profiled += abs() - origin; if (process.env.PROF_OUT !== undefined) writeFileSync(`${process.env.PROF_OUT}.${trial}.cpuprofile`, JSON.stringify(profile)) }
  await new Promise(resolve => setImmediate(resolve))
  events.sort((a, b) => a[0] - b[0])
  const total = events.find(e => e[1].startsWith('processBlock'))![0]
  console.log(`--- connect ${trial}: ${total.toFixed(1)} ms; signatures alone before it ${sigsOnly.toFixed(1)} ms (${(total / sigsOnly).toFixed(2)}x); CPU, all threads ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; load ${(await import('node:os')).loadavg()[0].toFixed(2)}`)
  for (const [t, what] of events) console.log(`${t.toFixed(1).padStart(7)}  ${what}`)
  // each worker: busy from its first chunk to its last, and the gaps over 2 ms
  for (const [w, spans] of Object.entries(busy)) {
    spans.sort((a, b) => a[0] - b[0])
    const sum = spans.reduce((s, [a, b]) => s + b - a, 0)
    const gaps = spans.slice(1).map(([a], i) => [spans[i][1], a]).filter(([a, b]) => b - a > 2).map(([a, b]) => `${a.toFixed(0)}-${b.toFixed(0)}`)
    const idle = spans[spans.length - 1][1] - spans[0][0] - sum
    console.log(`  ${w}: idle ${idle.toFixed(1)} ms between its first and last chunk, ${spans.length} chunks, busy ${sum.toFixed(1)} ms from ${spans[0][0].toFixed(1)} to ${spans[spans.length - 1][1].toFixed(1)}; idle gaps: ${gaps.join(' ') || 'none'}`)
  }
  await chain.close(); dir.remove()
}
if (session !== undefined) {
  const top = [...selfMs.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30)
  console.log(`--- main thread, self time over ${n} connects (${profiled.toFixed(0)} ms wall)`)
  for (const [name, ms] of top) console.log(`${ms.toFixed(1).padStart(8)} ms  ${name}`)
}
await verifier.close()
gc.disconnect()
rmSync(timedUrl)
process.exit(0)
