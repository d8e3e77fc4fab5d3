// The CPU an initial sync costs (issue 12, mark 4): bench/p2p.bench.ts's
// ibd_sync_tx workload (blocks of 50 one-input transactions) synced by a
// fresh node from a source node in the same process, reporting the process's
// CPU time (every thread: both nodes, the verify workers, the collector)
// over the sync window, and the collector's pauses. On a loaded machine the
// tx/s of the bench swing 2x between neighbouring runs; CPU per transaction
// moves far less, so A/B pairs of this show what a change costs or saves.
//   npx tsx scripts/connect-sync-cpu.ts [transactions=20000]
import '../src/polyfill.js'
import { PerformanceObserver } from 'node:perf_hooks'
import { FullNode } from '../src/node/full-node.js'
import { regtest } from '../src/core/params.js'
import { txid } from '../src/core/tx.js'
import type { Block, Transaction } from '../src/core/types.js'
import { genesisTip, mineBlock, mineChain, newKey, outputsOf, spend, tipOf, type Spendable } from '../bench/support/chain-fixtures.js'
import { Cleanup, testConfig, testLogger } from '../bench/support/nodes.js'
import { waitFor } from '../bench/support/wait.js'

const PER_BLOCK = 50
const BLOCKS = Math.ceil(Number(process.argv[2] ?? 20_000) / PER_BLOCK)

// the bench's lanes: PER_BLOCK coins of one key, then a chain of blocks each spending the last
const miner = newKey()
const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 2, miner)
const key = newKey()
const fan = spend([mined.coinbases[0]], Array.from({ length: PER_BLOCK }, () => ({ address: key.address, amount: 10_000_000n })))
const fanBlock = mineBlock(mined.tip, [fan], miner, { fees: mined.coinbases[0].amount - fan.outputs.reduce((a, o) => a + o.amount, 0n) })
const blocks: Block[] = [...mined.blocks, fanBlock]
let tip = tipOf(fanBlock, mined.tip.height + 1)
let lane: Spendable[] = outputsOf(fan, key)
let txCount = 0
for (let b = 0; b < BLOCKS; b++) {
  const txs: Transaction[] = lane.map(c => spend([c], [{ address: c.key.address, amount: c.amount - 1200n }, { address: key.address, amount: 1000n }]))
  txCount += txs.length
  const block = mineBlock(tip, txs, key, { fees: 200n * BigInt(txs.length) })
  blocks.push(block)
  tip = tipOf(block, tip.height + 1)
  lane = txs.map(tx => ({ txid: txid(tx), index: 0, amount: tx.outputs[0].amount, key: lane[0].key }))
}

const cleanup = new Cleanup()
try {
  const source = await FullNode.start(testConfig('full', cleanup.tempDir()), testLogger('source'))
  cleanup.add(async () => await source.stop())
  for (const b of blocks) await source.chain.processBlock(b)
  const fresh = await FullNode.start(testConfig('full', cleanup.tempDir()), testLogger('fresh'))
  cleanup.add(async () => await fresh.stop())
  let pauses = 0
  let gcMs = 0
  const gc = new PerformanceObserver(list => { for (const e of list.getEntries()) { pauses++; gcMs += e.duration } })
  gc.observe({ entryTypes: ['gc'] })
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await fresh.host.node.dial(source.host.node.getMultiaddrs()[0])
  await waitFor(() => fresh.chain.height === source.chain.height, 'initial block download', 600_000)
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  gc.disconnect()
  const cpuMs = (cpu.user + cpu.system) / 1000
  console.log(JSON.stringify({ transactions: txCount, blocks: blocks.length, seconds: +seconds.toFixed(2), tx_per_s: Math.round(txCount / seconds), cpu_ms: Math.round(cpuMs), cpu_us_per_tx: +(cpuMs * 1000 / txCount).toFixed(1), gc_pauses: pauses, gc_ms: Math.round(gcMs), load: +(await import('node:os')).loadavg()[0].toFixed(2) }))
} finally {
  await cleanup.run()
}
process.exit(0)
