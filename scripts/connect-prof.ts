// Where a block connect's main-thread time and allocation go (issue 12,
// mark 3): connect-gc.ts's workload (bench/chain.bench.ts, a verifier that
// answers at once), profiled only inside the connects. Prints the top
// functions by self time (CPU profile) or, with --alloc, by bytes allocated
// (sampling heap profiler, collected objects included).
//   npx tsx scripts/connect-prof.ts [connects=6] [--alloc] [top=25]
import { Session } from 'node:inspector/promises'
import { Chain } from '../src/chain/chain.js'
import { decodeBlock, encodeBlock } from '../src/core/encoding.js'
import { regtest } from '../src/core/params.js'
import type { SignatureVerifier } from '../src/crypto/verifier.js'
import { buildWorkload } from '../bench/chain.bench.js'
import { tempDir } from '../bench/support/chain-fixtures.js'

const args = process.argv.slice(2).filter(a => !a.startsWith('--'))
const n = Number(args[0] ?? 6)
const top = Number(args[1] ?? 25)
const alloc = process.argv.includes('--alloc')
const { prefix, big } = buildWorkload()
const bytes = encodeBlock(big)
const prefixBytes = prefix.map(b => encodeBlock(b))
const verifier: SignatureVerifier = { verifyBatch: async () => -1, verify: async () => true, close: async () => {} } as unknown as SignatureVerifier

const session = new Session()
session.connect()
const tally = new Map<string, number>()
const nameOf = (f: any): string => `${f.functionName || '(anonymous)'} ${String(f.url).split('/').slice(-2).join('/')}:${Number(f.lineNumber) + 1}`
if (!alloc) { await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 100 }) } else await session.post('HeapProfiler.enable')

for (let trial = 0; trial < n; trial++) {
  const dir = tempDir('minicoin-connect-prof-')
  const chain = await Chain.open({ location: dir.path, params: regtest, verifier })
  // the prefix decoded from bytes, as the bench connects it
  for (const b of prefixBytes) await chain.processBlock(decodeBlock(b, regtest.maxBlockSize))
  if (alloc) await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as any)
  else await session.post('Profiler.start')
  const r = await chain.processBlock(decodeBlock(bytes, regtest.maxBlockSize))
  if (r.status !== 'connected') throw new Error(`not connected: ${r.status}`)
  if (alloc) {
    const { profile } = await session.post('HeapProfiler.stopSampling') as any
    // a builtin (no url: subarray, slice, push...) is named with its caller
    const walk = (node: any, parent: string): void => {
      const self = node.selfSize as number
      const name = node.callFrame.url === '' ? `${parent} > ${node.callFrame.functionName as string}` : nameOf(node.callFrame)
      if (self > 0) tally.set(name, (tally.get(name) ?? 0) + self)
      for (const c of node.children) walk(c, node.callFrame.url === '' ? parent : name)
    }
    walk(profile.head, '')
  } else {
    const { profile } = await session.post('Profiler.stop') as any
    const byId = new Map<number, any>(profile.nodes.map((nd: any) => [nd.id, nd]))
    // a native function (no url: the profiler names the binding's functions
    // after whatever it likes, e.g. "Secp256k1Addon") is named with its caller
    const parent = new Map<number, any>()
    for (const nd of profile.nodes) for (const c of nd.children ?? []) parent.set(c, nd)
    const label = (nd: any): string => {
      if (nd.callFrame.url !== '' || nd.callFrame.functionName.startsWith('(')) return nameOf(nd.callFrame)
      let up = parent.get(nd.id)
      while (up !== undefined && up.callFrame.url === '') up = parent.get(up.id)
      return `${up === undefined ? '' : nameOf(up.callFrame)} > ${nd.callFrame.functionName as string}`
    }
    for (let i = 0; i < profile.samples.length; i++) {
      const name = label(byId.get(profile.samples[i]))
      tally.set(name, (tally.get(name) ?? 0) + profile.timeDeltas[i] / 1000)
    }
  }
  await chain.close(); dir.remove()
}
const rows = [...tally].sort((a, b) => b[1] - a[1])
const total = rows.reduce((s, [, v]) => s + v, 0)
const unit = alloc ? 'MB' : 'ms'
const scale = alloc ? 1 / 1e6 : 1
console.log(`per connect, total ${(total * scale / n).toFixed(1)} ${unit}; load ${(await import('node:os')).loadavg()[0].toFixed(2)}`)
for (const [name, v] of rows.slice(0, top)) console.log(`${(v * scale / n).toFixed(2).padStart(8)} ${unit}  ${name}`)
process.exit(0)
