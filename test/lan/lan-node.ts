// One node of the LAN test, run inside a network namespace. Prints JSON
// lines on stdout: `start` once, `r` (block received: validated and stored,
// on any branch), `c` (block connected: hash, time) on every connect of a
// full node's chain, `s` (status: peers, height, tip, RSS, CPU
// µs) every second. Reads commands on stdin: `mine 1` / `mine 0`. On
// regtest a block takes milliseconds, so `mine 1` finds blocks the way proof
// of work spaces them: one after an exponentially distributed wait (mean
// MEAN_BLOCK_MS), so three miners compete and now and then collide.
import '../../src/polyfill.js'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { FullNode } from '../../src/node/full-node.js'
import { SpvNode } from '../../src/node/spv-node.js'
import { createLogger } from '../../src/telemetry/logger.js'
import type { NodeConfig } from '../../src/node/config.js'

const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as NodeConfig
const log = createLogger({ level: 'warn', pretty: false })
const out = (o: object): void => { process.stdout.write(JSON.stringify({ ...o, t: Date.now() }) + '\n') }
const node = config.role === 'spv' ? await SpvNode.start(config, log) : await FullNode.start(config, log)
out({ e: 'start', peerId: node.peerId, role: config.role })
if (node instanceof FullNode) {
  // `r`: the node has the block (validated and stored), on its active chain or a side branch
  node.chain.on('processed', (result, _seconds, hash) => {
    if (hash !== undefined && (result === 'connected' || result === 'side' || result === 'pending')) out({ e: 'r', h: hash })
  })
  node.chain.on('connect', (_block, entry) => { out({ e: 'c', h: entry.hashHex, height: entry.height }) })
  node.chain.on('disconnect', (_block, entry) => { out({ e: 'd', h: entry.hashHex, height: entry.height }) })
}
// connections opened and closed, and why dials failed: what a LAN that does not connect shows first
const conns = { opened: 0, closed: 0 }
const dialErrors: Record<string, number> = {}
const libp2p = node.host.node
libp2p.addEventListener('connection:open', () => { conns.opened++ })
libp2p.addEventListener('connection:close', () => { conns.closed++ })
const dial = libp2p.dial.bind(libp2p)
libp2p.dial = (async (...args: Parameters<typeof dial>) => {
  try {
    return await dial(...args)
  } catch (err) {
    const key = `${(err as Error).name}: ${(err as Error).message.slice(0, 80)}`
    dialErrors[key] = (dialErrors[key] ?? 0) + 1
    throw err
  }
}) as typeof libp2p.dial
const timer = setInterval(() => {
  try { status() } catch (err) { process.stderr.write(`status failed: ${(err as Error).stack}\n`) }
}, 1000)
function status (): void {
  const s = node.status()
  const cpu = process.cpuUsage()
  out({ e: 's', peers: node.host.peers(), height: s.height, tip: s.tip, rss: process.memoryUsage().rss, cpu: cpu.user + cpu.system, dials: node.host.keeper.dials, learnt: node.host.exchange.learnt, mdns: node.host.mdnsCounts, conns, dialErrors })
}
const MEAN_BLOCK_MS = Number(process.env.LAN_MEAN_BLOCK_MS ?? 3000)
let mining: NodeJS.Timeout | undefined
// the miner is driven directly, one block per paced start, so that three
// miners find blocks at exponential intervals as proof of work would
function nextBlock (full: FullNode): void {
  const miner = full.miner!
  mining = setTimeout(() => {
    const from = full.chain.height
    miner.start()
    const found = (): void => {
      if (full.chain.height <= from) return
      full.chain.off('tip', found)
      void miner.stop().then(() => { if (mining !== undefined) nextBlock(full) })
    }
    full.chain.on('tip', found)
  }, -Math.log(1 - Math.random()) * MEAN_BLOCK_MS)
}
const commands = createInterface({ input: process.stdin })
commands.on('line', (line) => {
  if (!(node instanceof FullNode)) return
  if (line === 'mine 1' && mining === undefined) nextBlock(node)
  if (line === 'mine 0') {
    clearTimeout(mining)
    mining = undefined
    void node.miner?.stop()
  }
})
// the test process is gone (however it ended): stop, so no node outlives it
commands.on('close', () => { void stop() })
let stopping = false
async function stop (): Promise<void> {
  if (stopping) return
  stopping = true
  clearInterval(timer)
  clearTimeout(mining)
  await node.stop()
  process.exit(0)
}
process.on('SIGTERM', () => { void stop() })
process.on('SIGINT', () => { void stop() })
