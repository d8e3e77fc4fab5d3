// Footprint of a full node with a long chain of full blocks: the node that
// serves it and a fresh one syncing it, each a real `minicoin node` process;
// their peak RSS (VmHWM) over the sync, and how long the chain takes to
// reopen. The chain is generated here (signed, mined) and fed into the
// serving node's database in this process before it starts.
//
// Scale: FOOTPRINT_BLOCKS blocks of FOOTPRINT_TXS one-input, two-output
// transactions (default 20 x 1,000, so a full `npm run bench` stays short;
// the mark is about 10,000 x 1,000). Every transaction leaves one coin
// unspent, so the UTXO set grows with the chain as a real one does.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Chain } from '../src/chain/chain.js'
import { regtest } from '../src/core/params.js'
import { txid } from '../src/core/tx.js'
import { createVerifier } from '../src/crypto/create-verifier.js'
import { type Bench, type BenchResult, round } from './harness.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tipOf, type Spendable } from './support/chain-fixtures.js'
import { dialAddress, readyDaemon, run, writeConfig, type Daemon } from './support/daemons.js'
import { stopProcess } from './support/process.js'
import { Cleanup } from './support/nodes.js'
import { waitFor } from './support/wait.js'

const BLOCKS = Number(process.env.FOOTPRINT_BLOCKS ?? 20)
const TXS = Number(process.env.FOOTPRINT_TXS ?? 1000)
// e.g. --max-old-space-size=128, to tell heap the GC has not collected yet from live data
const DAEMON_ENV: NodeJS.ProcessEnv = process.env.FOOTPRINT_DAEMON_NODE_OPTIONS === undefined ? {} : { NODE_OPTIONS: process.env.FOOTPRINT_DAEMON_NODE_OPTIONS }

/** user + system CPU seconds of a live process (all threads). */
function cpuSeconds (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

function status (pid: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(Vm\w+|Rss\w+):\s+(\d+) kB/.exec(line)
    if (m !== null) out[m[1]] = round(Number(m[2]) / 1024)
  }
  return out
}

/** Feeds the chain into `location` block by block, so memory holds one block at a time; returns the transaction count. */
async function buildChain (location: string): Promise<number> {
  const verifier = await createVerifier({ lazy: {} })
  const chain = await Chain.open({ location, params: regtest, verifier })
  try {
    const miner = newKey()
    const key = newKey()
    const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 1, miner)
    for (const b of mined.blocks) await chain.processBlock(b)
    const cb = mined.coinbases[0]
    const each = 1_000_000n
    const fanout = spend([cb], Array.from({ length: TXS }, () => ({ address: key.address, amount: each })))
    let block = mineBlock(mined.tip, [fanout], miner, { fees: cb.amount - each * BigInt(TXS) })
    await chain.processBlock(block)
    let tip = tipOf(block, mined.tip.height + 1)
    let lanes: Spendable[] = fanout.outputs.map((o, index) => ({ txid: txid(fanout), index, amount: o.amount, key }))
    let count = 1
    for (let b = 0; b < BLOCKS; b++) {
      // one coin continues the lane, one stays unspent; fee 1
      const txs = lanes.map(c => spend([c], [{ address: key.address, amount: c.amount - 2n }, { address: miner.address, amount: 1n }]))
      block = mineBlock(tip, txs, miner, { fees: BigInt(txs.length) })
      const result = await chain.processBlock(block)
      if (chain.height !== tip.height + 1) throw new Error(`fixture block ${b} not connected: ${JSON.stringify(result)}`)
      tip = tipOf(block, tip.height + 1)
      lanes = txs.map(tx => ({ txid: txid(tx), index: 0, amount: tx.outputs[0].amount, key }))
      count += txs.length
    }
    return count
  } finally {
    await chain.close()
    await verifier.close()
  }
}

async function chainFigures (): Promise<BenchResult[]> {
  const cleanup = new Cleanup()
  try {
    const serverDir = cleanup.tempDir()
    const g0 = performance.now()
    const txCount = await buildChain(join(serverDir, 'data', 'chain'))
    const buildSeconds = round((performance.now() - g0) / 1000, 1)

    // Reopen: the serving node's start on the long chain against an empty one, same run.
    const t0 = performance.now()
    const server = await readyDaemon(run(['node', '--config', writeConfig(serverDir, 'full')], cleanup, DAEMON_ENV), join(serverDir, 'data'))
    const reopenSeconds = (performance.now() - t0) / 1000
    const reopenCpu = cpuSeconds(server.proc.child.pid as number)
    const emptyDir = cleanup.tempDir()
    const e0 = performance.now()
    const empty = await readyDaemon(run(['node', '--config', writeConfig(emptyDir, 'full')], cleanup), join(emptyDir, 'data'))
    const emptySeconds = (performance.now() - e0) / 1000
    const emptyCpu = cpuSeconds(empty.proc.child.pid as number)
    empty.proc.signal('SIGTERM')
    const height = (await server.api.get<{ height: number }>('/api/status')).height

    // Sync: a fresh full node downloads everything from the server.
    const clientDir = cleanup.tempDir()
    const p2p = { host: '127.0.0.1', port: 0, bootstrap: [dialAddress(server)], mdns: false }
    const s0 = performance.now()
    const client: Daemon = await readyDaemon(run(['node', '--config', writeConfig(clientDir, 'full', { p2p })], cleanup, DAEMON_ENV), join(clientDir, 'data'))
    let peak = { server: 0, client: 0 }
    await waitFor(async () => {
      peak = { server: Math.max(peak.server, status(server.proc.child.pid as number).VmRSS), client: Math.max(peak.client, status(client.proc.child.pid as number).VmRSS) }
      return (await client.api.get<{ height: number }>('/api/status')).height === height
    }, 'the client to sync', 3_600_000, 250)
    const syncSeconds = round((performance.now() - s0) / 1000, 1)
    const serverStatus = status(server.proc.child.pid as number)
    const clientStatus = status(client.proc.child.pid as number)
    const scale = { blocks: height, transactions: txCount, buildSeconds, syncSeconds }
    // Reopen as after any restart: the client synced through its own node (its
    // wallet kept up), unlike the server, whose chain this process wrote.
    await stopProcess(client.proc)
    const r0 = performance.now()
    const again = await readyDaemon(run(['node', '--config', join(clientDir, 'full.json')], cleanup, DAEMON_ENV), join(clientDir, 'data'))
    const restartSeconds = (performance.now() - r0) / 1000
    const restartCpu = cpuSeconds(again.proc.child.pid as number)
    return [
      { bench: 'footprint_chain_peak_rss_serving', value: serverStatus.VmHWM, unit: 'MiB', mark: '<= 200', ...scale, now: serverStatus, sampledPeak: peak.server },
      { bench: 'footprint_chain_peak_rss_syncing', value: clientStatus.VmHWM, unit: 'MiB', mark: '<= 200', ...scale, now: clientStatus, sampledPeak: peak.client },
      // CPU, not wall time: on a shared machine the wall clock mostly measures the neighbours.
      { bench: 'footprint_chain_restart_cpu', value: round(restartCpu, 2), unit: 's', mark: '< 1 s more than an empty chain', reference: `start with an empty chain: ${round(emptyCpu, 2)} s CPU (same run; both from spawn to ready)`, wallSeconds: round(restartSeconds, 2), ...scale },
      { bench: 'footprint_chain_first_open_cpu', value: round(reopenCpu, 2), unit: 's', note: 'the server on a chain this process wrote: its new wallet first scans every block', reference: `start with an empty chain: ${round(emptyCpu, 2)} s CPU (same run; both from spawn to ready)`, wallSeconds: round(reopenSeconds, 2), emptyWallSeconds: round(emptySeconds, 2), ...scale }
    ]
  } finally {
    await cleanup.run()
  }
}

export const benches: Bench[] = [{ name: 'footprint_chain', group: 'chain', run: chainFigures }]
