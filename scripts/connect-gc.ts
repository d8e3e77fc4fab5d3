// The main thread's share of a block connect, alone (issue 12, mark 3): the
// workload of bench/chain.bench.ts connected with a verifier that answers at
// once (no worker competes for the cores), timing each connect and counting
// the collector's pauses during it. For A/B of the connect path's own CPU
// and garbage, which the signature bench's noise hides on a loaded machine.
//   npx tsx scripts/connect-gc.ts [connects=8]
import { PerformanceObserver } from 'node:perf_hooks'
import { Chain } from '../src/chain/chain.js'
import { decodeBlock, encodeBlock } from '../src/core/encoding.js'
import { regtest } from '../src/core/params.js'
import type { SignatureVerifier } from '../src/crypto/verifier.js'
import { buildWorkload } from '../bench/chain.bench.js'
import { tempDir } from '../bench/support/chain-fixtures.js'

const n = Number(process.argv[2] ?? 8)
const { prefix, big } = buildWorkload()
const bytes = encodeBlock(big)
// every check passes at once: what is left is the main thread's own work
const verifier: SignatureVerifier = { verifyBatch: async () => -1, verify: async () => true, close: async () => {} } as unknown as SignatureVerifier

let pauses: number[] = []
const gc = new PerformanceObserver(list => { for (const e of list.getEntries()) pauses.push(e.duration) })
gc.observe({ entryTypes: ['gc'] })
const rows: string[] = []
const times: number[] = []
const gcs: number[] = []
const cpus: number[] = []
for (let trial = 0; trial < n; trial++) {
  const dir = tempDir('minicoin-connect-gc-')
  const chain = await Chain.open({ location: dir.path, params: regtest, verifier })
  for (const b of prefix) await chain.processBlock(b)
  await new Promise(resolve => setTimeout(resolve, 20))
  pauses = []
  // under node --trace-gc-nvp: which collections fell inside the connect
  if (process.env.MARK_CONNECTS !== undefined) console.log(`>> connect ${trial} start`)
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const r = await chain.processBlock(decodeBlock(bytes, regtest.maxBlockSize))
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  if (process.env.MARK_CONNECTS !== undefined) console.log(`>> connect ${trial} end`)
  await new Promise(resolve => setImmediate(resolve))
  if (r.status !== 'connected') throw new Error(`not connected: ${r.status}`)
  const gcMs = pauses.reduce((a, b) => a + b, 0)
  times.push(ms); gcs.push(gcMs); cpus.push((cpu.user + cpu.system) / 1000)
  rows.push(`connect ${trial}: ${ms.toFixed(1)} ms, CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, ${pauses.length} GC pauses ${gcMs.toFixed(1)} ms (${pauses.map(p => p.toFixed(0)).join(' ')})`)
  await chain.close(); dir.remove()
}
gc.disconnect()
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]
console.log(rows.join('\n'))
console.log(`median: ${median(times).toFixed(1)} ms, CPU ${median(cpus).toFixed(0)} ms, GC ${median(gcs).toFixed(1)} ms; load ${(await import('node:os')).loadavg()[0].toFixed(2)}`)
process.exit(0)
