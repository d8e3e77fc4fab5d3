// Bytes a block connect allocates on the V8 heap (issue 12, mark 3): the
// workload of bench/chain.bench.ts connected with a verifier that answers at
// once, in a new space large enough that no scavenge falls inside the
// connect, so the growth of the used heap across it is what it allocated.
// (How many scavenges a connect sees, and what they promote, depends on
// where the connect falls in the new space's cycle; this does not.)
//   node --min-semi-space-size=128 --max-semi-space-size=128 --expose-gc --import tsx scripts/connect-alloc.ts [connects=6]
import { getHeapStatistics } from 'node:v8'
import { Chain } from '../src/chain/chain.js'
import { decodeBlock, encodeBlock } from '../src/core/encoding.js'
import { regtest } from '../src/core/params.js'
import type { SignatureVerifier } from '../src/crypto/verifier.js'
import { buildWorkload } from '../bench/chain.bench.js'
import { tempDir } from '../bench/support/chain-fixtures.js'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')
const n = Number(process.argv[2] ?? 6)
const { prefix, big } = buildWorkload()
const bytes = encodeBlock(big)
const verifier: SignatureVerifier = { verifyBatch: async () => -1, verify: async () => true, close: async () => {} } as unknown as SignatureVerifier
const rows: number[] = []
let scavenged = 0
for (let trial = 0; trial < n; trial++) {
  const dir = tempDir('minicoin-connect-alloc-')
  const chain = await Chain.open({ location: dir.path, params: regtest, verifier })
  for (const b of prefix) await chain.processBlock(b)
  const block = decodeBlock(bytes, regtest.maxBlockSize)
  gc()
  const before = getHeapStatistics()
  const r = await chain.processBlock(block)
  const after = getHeapStatistics()
  if (r.status !== 'connected') throw new Error(`not connected: ${r.status}`)
  // a collection inside the connect would make the difference meaningless: say so
  if (after.used_heap_size < before.used_heap_size) scavenged++
  rows.push((after.used_heap_size - before.used_heap_size) / 1e6)
  await chain.close(); dir.remove()
}
rows.sort((a, b) => a - b)
console.log(JSON.stringify({ bench: 'connect_allocated_mb', median: +rows[rows.length >> 1].toFixed(2), min: +rows[0].toFixed(2), max: +rows[rows.length - 1].toFixed(2), collectedInside: scavenged }))
process.exit(0)
