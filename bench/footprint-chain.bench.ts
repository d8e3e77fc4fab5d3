// Footprint of a full node with a long chain of full blocks: the node that
// serves it and a fresh one syncing it, each a real `minicoin node` process;
// their RSS sampled over the sync (peak per quarter of the chain, to show
// whether it grows with the chain), what the syncing node's RSS is made of
// (V8 heap used / total, external memory, from its /metrics), and how long
// the chain takes to reopen. The chain is generated here (signed, mined) and
// fed into the serving node's database in this process before it starts.
//
// Scale: FOOTPRINT_BLOCKS blocks of FOOTPRINT_TXS one-input, one-output
// transactions (default 20 x 1,000, so a full `npm run bench` stays short;
// the mark is about 10,000 x 1,000). The cheapest shape to build: one
// signature a transaction, made natively. FOOTPRINT_FIXTURE_DIR=dir keeps the
// generated chain there and reuses it on the next run of the same scale
// (the run copies it; delete the dir when done). FOOTPRINT_SYNC_TIMEOUT_S
// bounds the sync and each daemon's start (default 3,600 s).
// FOOTPRINT_SYNC_STOP_AT=n ends the sync phase once the syncing node reaches
// height n (a shorter proxy: most of its peak shows in the first quarter);
// its figures then cover heights up to n.
//
// Both daemons run with the environment the shipped systemd unit gives the
// node (its Environment= lines, e.g. MALLOC_ARENA_MAX), as the LAN runs it;
// FOOTPRINT_UNIT_ENV=0 leaves it out (a node started by hand).
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Chain } from '../src/chain/chain.js'
import { regtest } from '../src/core/params.js'
import { txid } from '../src/core/tx.js'
import type { SignatureVerifier } from '../src/crypto/verifier.js'
import { type Bench, type BenchResult, round } from './harness.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tipOf, type Spendable } from './support/chain-fixtures.js'
import { dialAddress, readyDaemon, run, writeConfig, type Daemon } from './support/daemons.js'
import { stopProcess } from './support/process.js'
import { Cleanup } from './support/nodes.js'
import { waitFor } from './support/wait.js'

const BLOCKS = Number(process.env.FOOTPRINT_BLOCKS ?? 20)
const TXS = Number(process.env.FOOTPRINT_TXS ?? 1000)
// e.g. --max-old-space-size=128, to tell heap the GC has not collected yet from live data
// the sync's deadline; a 10,000-block chain on a loaded machine needs more than the default hour
const SYNC_TIMEOUT_MS = Number(process.env.FOOTPRINT_SYNC_TIMEOUT_S ?? 3600) * 1000
const STOP_AT = process.env.FOOTPRINT_SYNC_STOP_AT === undefined ? Infinity : Number(process.env.FOOTPRINT_SYNC_STOP_AT)
const UNIT = new URL('../contrib/systemd/minicoin@.service', import.meta.url)

/** The Environment= assignments of the shipped systemd unit. */
function unitEnvironment (text = readFileSync(UNIT, 'utf8')): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const line of text.split('\n')) {
    const m = /^Environment=(.*)$/.exec(line.trim())
    if (m === null) continue
    for (const assignment of m[1].split(/\s+/)) {
      const eq = assignment.indexOf('=')
      if (eq > 0) env[assignment.slice(0, eq)] = assignment.slice(eq + 1)
    }
  }
  return env
}

const DAEMON_ENV: NodeJS.ProcessEnv = {
  ...(process.env.FOOTPRINT_UNIT_ENV === '0' ? {} : unitEnvironment()),
  ...(process.env.FOOTPRINT_DAEMON_NODE_OPTIONS === undefined ? {} : { NODE_OPTIONS: process.env.FOOTPRINT_DAEMON_NODE_OPTIONS })
}

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

/**
 * The fixture's own signatures need no checking: this process made them a
 * moment ago. Skipping them halves the cost of building the chain; the
 * nodes under test verify every signature as always.
 */
const ownSignatures: SignatureVerifier = { backend: 'native', verifyBatch: async checks => checks.map(() => true), close: async () => {} }

/** Feeds the chain into `location` block by block, so memory holds one block at a time; returns the transaction count. */
async function buildChain (location: string): Promise<number> {
  const chain = await Chain.open({ location, params: regtest, verifier: ownSignatures })
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
      // each lane spends its coin to the next one, fee 1
      const txs = lanes.map(c => spend([c], [{ address: key.address, amount: c.amount - 1n }]))
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
  }
}

/** The chain at `location`: copied from FOOTPRINT_FIXTURE_DIR when a run of the same scale left one there, else built (and left there). */
async function fixtureChain (location: string): Promise<{ transactions: number, buildSeconds: number, reused: boolean }> {
  const keep = process.env.FOOTPRINT_FIXTURE_DIR
  const saved = keep === undefined ? undefined : join(keep, `chain-${BLOCKS}x${TXS}`)
  if (saved !== undefined && existsSync(join(saved, 'transactions'))) {
    cpSync(join(saved, 'chain'), location, { recursive: true })
    return { transactions: Number(readFileSync(join(saved, 'transactions'), 'utf8')), buildSeconds: 0, reused: true }
  }
  const t0 = performance.now()
  const transactions = await buildChain(location)
  const buildSeconds = round((performance.now() - t0) / 1000, 1)
  if (saved !== undefined) {
    rmSync(saved, { recursive: true, force: true })
    mkdirSync(saved, { recursive: true })
    cpSync(location, join(saved, 'chain.tmp'), { recursive: true })
    renameSync(join(saved, 'chain.tmp'), join(saved, 'chain'))
    writeFileSync(join(saved, 'transactions'), String(transactions))
  }
  return { transactions, buildSeconds, reused: false }
}

interface HeapFigures { heapUsed: number, heapTotal: number, external: number, newSpace: number }

/** prom-client's process figures of a daemon (MiB): V8 heap used and total, external memory (ArrayBuffers and other off-heap buffers V8 knows of), and the main isolate's new space (both semi-spaces, as committed). */
async function heapFigures (d: Daemon): Promise<HeapFigures | undefined> {
  try {
    const text = await (await fetch(`${d.info.api}/metrics`)).text()
    const metric = (name: string): number => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20
    return { heapUsed: round(metric('nodejs_heap_size_used_bytes')), heapTotal: round(metric('nodejs_heap_size_total_bytes')), external: round(metric('nodejs_external_memory_bytes')), newSpace: round(metric('nodejs_heap_space_size_total_bytes\\{space="new"\\}')) }
  } catch {
    return undefined
  }
}

interface Sample { height: number, serverRss: number, clientRss: number, clientAnon: number, clientFile: number, heap?: HeapFigures }

/** Peak RSS of each quarter of the sync (by the client's height), the client's heap figures at its peak, and the median client RSS over the second half. */
function summarize (samples: Sample[], height: number): Record<string, unknown> {
  const quarters = [0.25, 0.5, 0.75, 1].map(q => {
    const part = samples.filter(s => s.height <= q * height && (q === 0.25 || s.height > (q - 0.25) * height))
    return { upToHeight: Math.round(q * height), clientPeak: Math.max(0, ...part.map(s => s.clientRss)), serverPeak: Math.max(0, ...part.map(s => s.serverRss)), samples: part.length }
  })
  const withHeap = samples.filter(s => s.heap !== undefined)
  const atPeak = withHeap.reduce<Sample | undefined>((a, s) => a === undefined || s.clientRss > a.clientRss ? s : a, undefined)
  const late = samples.filter(s => s.height > height / 2).map(s => s.clientRss).sort((a, b) => a - b)
  // the highest sample of all (every 250 ms): anonymous memory and file pages (the binary, LevelDB's mapped tables) at that moment
  const peakSample = samples.reduce<Sample | undefined>((a, s) => a === undefined || s.clientRss > a.clientRss ? s : a, undefined)
  const newSpace = withHeap.map(s => s.heap?.newSpace ?? NaN).filter(n => !Number.isNaN(n))
  return { quarters, clientAtPeak: atPeak, clientPeakSample: peakSample === undefined ? undefined : { height: peakSample.height, rss: peakSample.clientRss, anon: peakSample.clientAnon, file: peakSample.clientFile }, clientSteadyMedianSecondHalf: late[Math.floor(late.length / 2)], clientNewSpaceMax: Math.max(0, ...newSpace), clientNewSpaceSamples: newSpace.length }
}

async function chainFigures (): Promise<BenchResult[]> {
  const cleanup = new Cleanup()
  try {
    const serverDir = cleanup.tempDir()
    const fixture = await fixtureChain(join(serverDir, 'data', 'chain'))
    const txCount = fixture.transactions
    const buildSeconds = fixture.buildSeconds

    // Reopen: the serving node's start on the long chain against an empty one, same run.
    const t0 = performance.now()
    // (its new wallet scans every block first: minutes at 10,000 full blocks, so the sync's deadline)
    const server = await readyDaemon(run(['node', '--config', writeConfig(serverDir, 'full')], cleanup, DAEMON_ENV), join(serverDir, 'data'), SYNC_TIMEOUT_MS)
    const reopenSeconds = (performance.now() - t0) / 1000
    const reopenCpu = cpuSeconds(server.proc.child.pid as number)
    const emptyDir = cleanup.tempDir()
    const e0 = performance.now()
    const empty = await readyDaemon(run(['node', '--config', writeConfig(emptyDir, 'full')], cleanup, DAEMON_ENV), join(emptyDir, 'data'))
    const emptySeconds = (performance.now() - e0) / 1000
    const emptyCpu = cpuSeconds(empty.proc.child.pid as number)
    empty.proc.signal('SIGTERM')
    const chainHeight = (await server.api.get<{ height: number }>('/api/status')).height
    const height = Math.min(STOP_AT, chainHeight)

    // Sync: a fresh full node downloads everything from the server.
    const clientDir = cleanup.tempDir()
    const p2p = { host: '127.0.0.1', port: 0, bootstrap: [dialAddress(server)], mdns: false }
    const s0 = performance.now()
    const client: Daemon = await readyDaemon(run(['node', '--config', writeConfig(clientDir, 'full', { p2p })], cleanup, DAEMON_ENV), join(clientDir, 'data'))
    let peak = { server: 0, client: 0 }
    const samples: Sample[] = []
    let lastHeap = 0
    await waitFor(async () => {
      const serverRss = status(server.proc.child.pid as number).VmRSS
      const clientStatusNow = status(client.proc.child.pid as number)
      const clientRss = clientStatusNow.VmRSS
      peak = { server: Math.max(peak.server, serverRss), client: Math.max(peak.client, clientRss) }
      const clientHeight = (await client.api.get<{ height: number }>('/api/status')).height
      // the heap figures once a second: a scrape costs the client a little CPU
      const heap = performance.now() - lastHeap >= 1000 ? await heapFigures(client) : undefined
      if (heap !== undefined) lastHeap = performance.now()
      samples.push({ height: clientHeight, serverRss, clientRss, clientAnon: clientStatusNow.RssAnon, clientFile: clientStatusNow.RssFile, heap })
      return clientHeight >= height
    }, 'the client to sync', SYNC_TIMEOUT_MS, 250)
    const overRun = summarize(samples, height)
    const syncSeconds = round((performance.now() - s0) / 1000, 1)
    // CPU, not wall time, for comparing runs on a shared machine: the syncing node's start and sync, all its threads
    const syncCpuSeconds = round(cpuSeconds(client.proc.child.pid as number), 1)
    const serverStatus = status(server.proc.child.pid as number)
    const clientStatus = status(client.proc.child.pid as number)
    const scale = { blocks: height, transactions: txCount, buildSeconds, fixtureReused: fixture.reused, syncSeconds, syncCpuSeconds, daemonEnv: DAEMON_ENV, ...(height < chainHeight ? { stoppedAtHeight: height, chainHeight } : {}) }
    // Reopen as after any restart: the client synced through its own node (its
    // wallet kept up), unlike the server, whose chain this process wrote.
    await stopProcess(client.proc)
    const r0 = performance.now()
    const again = await readyDaemon(run(['node', '--config', join(clientDir, 'full.json')], cleanup, DAEMON_ENV), join(clientDir, 'data'), SYNC_TIMEOUT_MS)
    const restartSeconds = (performance.now() - r0) / 1000
    const restartCpu = cpuSeconds(again.proc.child.pid as number)
    return [
      { bench: 'footprint_chain_peak_rss_serving', value: serverStatus.VmHWM, unit: 'MiB', mark: '<= 200', ...scale, now: serverStatus, sampledPeak: peak.server },
      { bench: 'footprint_chain_peak_rss_syncing', value: clientStatus.VmHWM, unit: 'MiB', mark: '<= 200', ...scale, now: clientStatus, sampledPeak: peak.client, ...overRun },
      // CPU, not wall time: on a shared machine the wall clock mostly measures the neighbours.
      { bench: 'footprint_chain_restart_cpu', value: round(restartCpu, 2), unit: 's', mark: '< 1 s more than an empty chain', reference: `start with an empty chain: ${round(emptyCpu, 2)} s CPU (same run; both from spawn to ready)`, wallSeconds: round(restartSeconds, 2), ...scale },
      { bench: 'footprint_chain_first_open_cpu', value: round(reopenCpu, 2), unit: 's', note: 'the server on a chain this process wrote: its new wallet first scans every block', reference: `start with an empty chain: ${round(emptyCpu, 2)} s CPU (same run; both from spawn to ready)`, wallSeconds: round(reopenSeconds, 2), emptyWallSeconds: round(emptySeconds, 2), ...scale }
    ]
  } finally {
    await cleanup.run()
  }
}

export const benches: Bench[] = [{ name: 'footprint_chain', group: 'chain', run: chainFigures }]
