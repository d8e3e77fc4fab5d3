// The LAN of issue 11: HOSTS machines (network namespaces on one bridge,
// default 12), mDNS only, three competing miners, SPV node(s), the rest full
// nodes. Every node is discovered, every block of the final chain reaches
// every full node, side branches are resolved and all nodes end on one tip
// once mining stops (a tie at the last height, which only a next block can
// settle, as in Bitcoin, is settled by one last block of one miner). Figures (discovery time, peers per node, tip reach
// p50/p90/max, time to one tip, RSS, idle CPU, load) are printed as one JSON
// line `LAN-REPORT {...}`. Tip reach is the time from a block being found
// until a full node has it (validated and stored, whether or not it is that
// node's best tip then); the time until it is on the node's active chain is
// reported beside it (a block that lost a race somewhere connects there only
// at the reorg the next block brings). The nodes run a bundle of the runner
// built once from the current sources (runner-build.ts), not tsx.
// Opt-in: `npm run test:lan` (root, for ip netns).
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { loadavg } from 'node:os'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Cleanup, testConfig } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import { isRoot } from '../support/requirements.js'
import { Lan } from './netns.js'
import { buildRunner, type Runner } from './runner-build.js'

const HOSTS = Number(process.env.HOSTS ?? 12)
const BLOCKS = Number(process.env.LAN_BLOCKS ?? 10)
const entry = new URL('./lan-node.ts', import.meta.url).pathname
const cleanup = new Cleanup()
afterAll(async () => { await cleanup.run() })

type Role = 'miner' | 'full' | 'spv'
interface Status { peers: string[], height: number, tip: string, rss: number, cpu: number, t: number, mdns: { passed: number, dropped: number, queries?: number } }
interface Host {
  i: number
  role: Role
  child: ChildProcess
  peerId?: string
  status?: Status
  connected: Map<string, number>
  /** First time the node had each block (stored, any branch, or connected). */
  received: Map<string, number>
  heights: Map<string, number>
  disconnected: Set<string>
  stderr: string
  /** Warnings and errors the node logged (JSON lines on stderr), counted by message and reason. */
  warnings: Map<string, number>
}

function roleOf (i: number, n: number): Role {
  if (i < 3) return 'miner'
  const spvs = n >= 20 ? 2 : 1
  return i >= n - spvs ? 'spv' : 'full'
}

function spawnHost (lan: Lan, runner: Runner, i: number): Host {
  const role = roleOf(i, HOSTS)
  const dir = cleanup.tempDir()
  // the shipped configs' maxPeers (50); regtest, miners paced like proof of work (lan-node.ts)
  const config = testConfig(role, dir, { p2p: { host: '0.0.0.0', port: 4001, bootstrap: [], mdns: true, maxPeers: 50 } })
  const file = join(dir, 'config.json')
  writeFileSync(file, JSON.stringify(config))
  const child = spawn('ip', ['netns', 'exec', lan.hosts[i], process.execPath, ...runner.args, file], { stdio: ['pipe', 'pipe', 'pipe'], cwd: process.cwd() })
  const host: Host = { i, role, child, connected: new Map(), received: new Map(), warnings: new Map(), heights: new Map(), disconnected: new Set(), stderr: '' }
  let buffered = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop()!
    for (const line of lines) {
      let m: any
      try { m = JSON.parse(line) } catch { continue }
      if (m.e === 'start') host.peerId = m.peerId
      else if (m.e === 's') host.status = m
      else if (m.e === 'r') { if (!host.received.has(m.h)) host.received.set(m.h, m.t) } else if (m.e === 'c') {
        if (!host.connected.has(m.h)) host.connected.set(m.h, m.t)
        if (!host.received.has(m.h)) host.received.set(m.h, m.t)
        host.heights.set(m.h, m.height)
        host.disconnected.delete(m.h)
      } else if (m.e === 'd') host.disconnected.add(m.h)
    }
  })
  let errBuffered = ''
  child.stderr?.on('data', (c: Buffer) => {
    if (host.stderr.length < 4000) host.stderr += c.toString()
    errBuffered += c.toString()
    const lines = errBuffered.split('\n')
    errBuffered = lines.pop()!
    for (const line of lines) {
      try {
        const m = JSON.parse(line)
        const key = `${m.msg as string}${m.reason !== undefined ? ` (${m.reason as string})` : ''}`
        host.warnings.set(key, (host.warnings.get(key) ?? 0) + 1)
      } catch {}
    }
  })
  child.on('exit', (code) => { if (code !== 0 && code !== null) process.stderr.write(`host ${i} (${role}) exited ${code}: ${host.stderr}\n`) })
  return host
}

/** Stops every node at once (one by one, 50 slow stops overran the cleanup hook and left the namespaces). */
async function stopAll (hosts: Host[]): Promise<void> {
  await Promise.all(hosts.map(async ({ i, child }) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, `host ${i} to stop`, 30_000, 100).catch(() => child.kill('SIGKILL'))
  }))
}

/** Warnings of all nodes, most frequent first. */
function warningsOf (hosts: Host[]): Record<string, number> {
  const all = new Map<string, number>()
  for (const h of hosts) for (const [k, n] of h.warnings) all.set(k, (all.get(k) ?? 0) + n)
  return Object.fromEntries([...all].sort((a, b) => b[1] - a[1]).slice(0, 12))
}

function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

describe('a LAN of HOSTS machines, mDNS only', () => {
  it.skipIf(!isRoot())(`${HOSTS} hosts: all discovered, every tip reaches every full node, one tip after mining (needs root for ip netns)`, async () => {
    const runner = await buildRunner(entry)
    cleanup.add(() => { runner.remove() })
    const lan = new Lan(HOSTS)
    cleanup.add(() => { lan.destroy() })
    lan.create()
    const t0 = Date.now()
    const hosts = lan.hosts.map((_, i) => spawnHost(lan, runner, i))
    cleanup.add(async () => { await stopAll(hosts) })
    // load average over the run (start, discovery, mining), sampled every 5 s
    const loads: number[] = [loadavg()[0]]
    const loadTimer = setInterval(() => { loads.push(loadavg()[0]) }, 5000)
    cleanup.add(() => { clearInterval(loadTimer) })
    const full = hosts.filter(h => h.role !== 'spv')
    const spv = hosts.filter(h => h.role === 'spv')
    const miners = hosts.filter(h => h.role === 'miner')
    // deadlines, generous: the machine may be shared (a node needs ~2 s of CPU to start)
    const startMs = 120_000 + 30_000 * HOSTS
    const stepMs = 60_000 + 5_000 * HOSTS
    await waitFor(() => hosts.every(h => h.status !== undefined), 'every node to start', startMs, 200).catch((err: Error) => {
      const late = hosts.filter(h => h.status === undefined).map(h => `host ${h.i} (${h.role}, exit ${h.child.exitCode}): ${h.stderr.slice(-500)}`)
      throw new Error(`${err.message}; not started: ${late.join('; ')}`)
    })
    const started = Date.now() - t0
    const fullIds = (): Set<string> => new Set(full.map(h => h.peerId!))
    const want = Math.min(HOSTS - 1, 8)
    // discovered: each node connected to by at least `want` others, each full node with `want` peers, each SPV node with 3 full nodes
    const discovered = (): boolean => {
      const seenBy = new Map<string, number>()
      for (const h of hosts) for (const p of h.status?.peers ?? []) seenBy.set(p, (seenBy.get(p) ?? 0) + 1)
      const ids = fullIds()
      return hosts.every(h => (seenBy.get(h.peerId!) ?? 0) >= want) &&
        full.every(h => (h.status?.peers.length ?? 0) >= want) &&
        spv.every(h => (h.status?.peers.filter(p => ids.has(p)).length ?? 0) >= Math.min(3, full.length))
    }
    const peerCounts = (): string => hosts.map(h => `${h.i}/${h.role}:${h.status?.peers.length}(dials ${(h.status as any)?.dials}, mdns ${JSON.stringify(h.status?.mdns)}, conns ${JSON.stringify((h.status as any)?.conns)})`).join(' ') + `; dial errors of host 0: ${JSON.stringify((hosts[0].status as any)?.dialErrors)}; warnings: ${JSON.stringify(warningsOf(hosts))}`
    await waitFor(discovered, 'every node to be discovered', stepMs, 200).catch((err: Error) => { throw new Error(`${err.message}; peers: ${peerCounts()}`) })
    const discoveryMs = Date.now() - t0
    const peersAtDiscovery = full.map(h => h.status!.peers.length).sort((a, b) => a - b)

    const h0 = Math.max(...full.map(h => h.status!.height))
    const cpuAtMineFrom = hosts.map(h => ({ cpu: h.status!.cpu, t: h.status!.t }))
    const mineFrom = Date.now()
    for (const m of miners) m.child.stdin?.write('mine 1\n')
    // a block needs its miner's worker thread started, which takes seconds on a loaded machine
    await waitFor(() => Math.max(...miners.map(m => m.status?.height ?? 0)) >= h0 + BLOCKS, `the miners to mine ${BLOCKS} blocks`, stepMs + 20_000 * BLOCKS, 200)
      .catch((err: Error) => { throw new Error(`${err.message}; heights: ${hosts.map(h => `${h.i}/${h.role}:${h.status?.height}`).join(' ')}`) })
    for (const m of miners) m.child.stdin?.write('mine 0\n')
    const mineStop = Date.now()
    const miningCpu = hosts.map((h, i) => (h.status!.cpu - cpuAtMineFrom[i].cpu) / 1000 / (h.status!.t - cpuAtMineFrom[i].t)).sort((a, b) => a - b)
    const fresh = (h: Host, since: number): boolean => (h.status?.t ?? 0) > since + 1500
    const where = (): string => hosts.map(h => `${h.i}/${h.role}:${h.status?.height}/${h.status?.tip.slice(0, 8)}`).join(' ') + `; warnings: ${JSON.stringify(warningsOf(hosts))}`
    // two blocks at one height stay a tie until a block builds on one of them
    // (as in Bitcoin): once every full node is at one height, one miner mines
    // one last block, which every node must then follow
    const settled = await waitFor(() => {
      const heights = full.map(h => fresh(h, mineStop) ? h.status!.height : -1)
      return Math.min(...heights) === Math.max(...heights) && heights[0] >= h0 + BLOCKS ? heights[0] : false
    }, 'every full node at one height after mining stops', stepMs, 200).catch((err: Error) => { throw new Error(`${err.message}; height/tip: ${where()}`) })
    const settledMs = Date.now() - mineStop
    const tiedTips = new Set(full.map(h => h.status!.tip)).size
    const last = miners[0]
    last.child.stdin?.write('mine 1\n')
    await waitFor(() => (last.status?.height ?? 0) > settled, 'the last block', stepMs, 100)
    last.child.stdin?.write('mine 0\n')
    const finalAt = Math.max(...last.received.values())
    const oneTip = (): string | false => {
      const tips = new Set(hosts.map(h => h.status?.tip))
      const heights = full.map(h => h.status?.height ?? 0)
      // a tip reported after the last block (status lines come every second)
      return tips.size === 1 && hosts.every(h => fresh(h, finalAt)) && Math.min(...heights) > settled ? [...tips][0]! : false
    }
    const tip = await waitFor(oneTip, 'every node on one tip after the last block', stepMs, 200).catch((err: Error) => { throw new Error(`${err.message}; height/tip: ${where()}`) })
    const oneTipMs = Date.now() - finalAt

    // blocks of the final chain: connected on every full node, not disconnected since
    const main = [...full[0].connected.keys()].filter(hash => full.every(h => h.connected.has(hash) && !h.disconnected.has(hash)))
    const all = new Set(full.flatMap(h => [...h.connected.keys()]))
    // reach: from the block being found (the first node that had it: its
    // miner) until each full node had it, stored on any branch; and until
    // each had it on its active chain (a block that lost a race there
    // connects only at the reorg the next block brings)
    const reach: number[] = []
    const reachConnected: number[] = []
    for (const hash of main) {
      const origin = Math.min(...full.map(h => h.received.get(hash)!))
      if (origin < mineFrom) continue
      for (const h of full) {
        if (h.received.get(hash) === origin) continue
        reach.push(h.received.get(hash)! - origin)
        reachConnected.push(h.connected.get(hash)! - origin)
      }
    }
    reach.sort((a, b) => a - b)
    reachConnected.sort((a, b) => a - b)
    clearInterval(loadTimer)

    // idle: CPU over 10 s with nothing to do
    const before = hosts.map(h => ({ cpu: h.status!.cpu, t: h.status!.t }))
    const idleFrom = Date.now()
    await waitFor(() => hosts.every(h => h.status!.t > idleFrom + 10_000), 'ten idle seconds', stepMs, 500)
    const idleCpu = hosts.map((h, i) => (h.status!.cpu - before[i].cpu) / 1000 / (h.status!.t - before[i].t)).sort((a, b) => a - b)
    const rss = hosts.map(h => h.status!.rss / 2 ** 20).sort((a, b) => a - b)
    const peersEnd = full.map(h => h.status!.peers.length).sort((a, b) => a - b)
    const ids = fullIds()
    const spvFullPeers = spv.map(h => h.status!.peers.filter(p => ids.has(p)).length)
    const report = {
      hosts: HOSTS,
      roles: { miner: miners.length, full: full.length - miners.length, spv: spv.length },
      startedMs: started,
      discoveryMs,
      peersAtDiscovery: { min: peersAtDiscovery[0], median: percentile(peersAtDiscovery, 0.5), max: peersAtDiscovery.at(-1) },
      peersEnd: { min: peersEnd[0], median: percentile(peersEnd, 0.5), max: peersEnd.at(-1) },
      spvFullPeers,
      blocks: { mainChain: main.length, seen: all.size, sideBranch: all.size - main.length },
      runner: runner.how,
      tipReachMs: { samples: reach.length, p50: percentile(reach, 0.5), p90: percentile(reach, 0.9), max: reach.at(-1) },
      onActiveChainMs: { samples: reachConnected.length, p50: percentile(reachConnected, 0.5), p90: percentile(reachConnected, 0.9), max: reachConnected.at(-1) },
      // mining stopped: every full node at one height after (tips tied at it), then one tip after one last block
      afterMiningStop: { oneHeightMs: settledMs, tipsAtThatHeight: tiedTips, oneTipAfterLastBlockMs: oneTipMs },
      rssMiB: { min: Math.round(rss[0]), median: Math.round(percentile(rss, 0.5)), max: Math.round(rss.at(-1)!) },
      miningCpuPercentOfCore: { median: +(100 * percentile(miningCpu, 0.5)).toFixed(1), max: +(100 * miningCpu.at(-1)!).toFixed(1) },
      idleCpuPercentOfCore: { median: +(100 * percentile(idleCpu, 0.5)).toFixed(1), max: +(100 * idleCpu.at(-1)!).toFixed(1) },
      // mDNS answers per node per second over the run: all heard, and passed on to libp2p; periodic queries sent (only while a node wants peers)
      mdnsEventsPerNodePerS: (() => {
        const secs = (Date.now() - t0) / 1000
        const heard = hosts.map(h => h.status!.mdns.passed + h.status!.mdns.dropped)
        const passed = hosts.map(h => h.status!.mdns.passed)
        const queries = hosts.map(h => h.status!.mdns.queries ?? 0)
        return { heard: +(heard.reduce((a, b) => a + b, 0) / hosts.length / secs).toFixed(2), passed: +(passed.reduce((a, b) => a + b, 0) / hosts.length / secs).toFixed(2), periodicQueriesPerNode: +(queries.reduce((a, b) => a + b, 0) / hosts.length).toFixed(1) }
      })(),
      loadavg: loadavg().map(l => +l.toFixed(2)),
      warnings: warningsOf(hosts),
      load1DuringRun: { max: +Math.max(...loads).toFixed(2), mean: +(loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(2) }
    }
    process.stdout.write(`LAN-REPORT ${JSON.stringify(report)}\n`)
    // LAN_DUMP=file: every node's block times, for a closer look at reach
    if (process.env.LAN_DUMP !== undefined) {
      writeFileSync(process.env.LAN_DUMP, JSON.stringify({ t0, mineFrom, mineStop, main, hosts: hosts.map(h => ({ i: h.i, role: h.role, peerId: h.peerId, peers: h.status?.peers, received: Object.fromEntries(h.received), connected: Object.fromEntries(h.connected), heights: Object.fromEntries(h.heights) })) }))
    }
    expect(hosts.every(h => h.status!.tip === tip)).toBe(true)
    expect(main.length).toBeGreaterThanOrEqual(BLOCKS)
    expect(Math.min(...spvFullPeers)).toBeGreaterThanOrEqual(Math.min(3, full.length))
  }, 3_600_000)
})
