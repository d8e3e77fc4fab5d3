// npm run bench [filter]: filter is a group (core, chain, p2p) or part of a bench name.
import '../src/polyfill.js'
import { readdirSync } from 'node:fs'
import { emit, type Bench } from './harness.js'

const filter = process.argv[2]
const dir = new URL('./', import.meta.url)
const files = readdirSync(dir).filter(f => f.endsWith('.bench.ts')).sort()
const benches: Bench[] = []
for (const file of files) {
  const mod = await import(new URL(file, dir).href) as { benches: Bench[] }
  benches.push(...mod.benches)
}
// core first: the chain and p2p benches leave a large heap behind
const GROUP_ORDER = ['core', 'chain', 'p2p']
const selected = benches
  .filter(b => filter === undefined || b.group === filter || b.name.includes(filter))
  .sort((a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group))
if (selected.length === 0) {
  process.stderr.write(`no benchmark matches "${filter}" (groups: core, chain, p2p; names: ${benches.map(b => b.name).join(', ')})\n`)
  process.exit(2)
}
for (const b of selected) {
  try {
    for (const r of await b.run()) emit(r)
  } catch (err) {
    process.stderr.write(`bench ${b.name} failed: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  }
}
process.exit()
