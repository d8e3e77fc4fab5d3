// Network benchmarks: real nodes on loopback TCP, in this process (ibd_sync_tx's and
// spv_header_sync's serving node in a daemon of its own).
import { type Bench, percentile, round } from './harness.js'
import { FullNode } from '../src/node/full-node.js'
import { SpvNode } from '../src/node/spv-node.js'
import { HeaderChain } from '../src/spv/header-chain.js'
import { blockHashHex } from '../src/core/block.js'
import { encodeBlock, encodeTx } from '../src/core/encoding.js'
import { regtest } from '../src/core/params.js'
import { sighash, txid } from '../src/core/tx.js'
import { createVerifier } from '../src/crypto/create-verifier.js'
import type { Block, Transaction } from '../src/core/types.js'
import { join } from 'node:path'
import { toHex } from '../src/core/bytes.js'
import { genesisTip, mineBlock, mineChain, newKey, outputsOf, spend, tipOf, type Spendable } from './support/chain-fixtures.js'
import { Cleanup, testConfig, testLogger } from './support/nodes.js'
import { waitFor } from './support/wait.js'
import { dialAddress, readyDaemon, run, writeConfig } from './support/daemons.js'
import { processCpuSeconds } from './support/process.js'
import { Chain } from '../src/chain/chain.js'
import { NobleVerifier } from '../src/crypto/verifier.js'
import { multiaddr } from '@multiformats/multiaddr'

async function startNodes (count: number, cleanup: Cleanup, topology: 'line' | 'mesh'): Promise<FullNode[]> {
  const nodes: FullNode[] = []
  for (let i = 0; i < count; i++) {
    const node = await FullNode.start(testConfig('full', cleanup.tempDir()), testLogger(`n${i}`))
    cleanup.add(async () => await node.stop())
    nodes.push(node)
  }
  for (let i = 1; i < count; i++) {
    const targets = topology === 'line' ? [nodes[i - 1]] : nodes.slice(0, i)
    for (const t of targets) await nodes[i].host.node.dial(t.host.node.getMultiaddrs()[0])
  }
  // gossip meshes form after subscriptions are exchanged
  if (count > 1) await waitFor(() => nodes.every(n => n.gossip.meshPeers('block') > 0 && n.gossip.meshPeers('tx') > 0), 'gossip meshes', 30_000)
  return nodes
}

async function feed (nodes: FullNode[], blocks: Block[]): Promise<void> {
  for (const n of nodes) for (const b of blocks) await n.chain.processBlock(b)
}

/** `lanes` coins of a key spendable after `blocks`, and the blocks that create them. */
function lanes (count: number, each: bigint): { blocks: Block[], coins: Spendable[], tip: ReturnType<typeof tipOf> } {
  const miner = newKey()
  const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 2, miner)
  const key = newKey()
  const fanouts: Transaction[] = []
  const coins: Spendable[] = []
  let left = count
  for (let f = 0; left > 0; f++) {
    const n = Math.min(left, 2000)
    left -= n
    const cb = mined.coinbases[f]
    const tx = spend([cb], Array.from({ length: n }, () => ({ address: key.address, amount: each })))
    fanouts.push(tx)
    coins.push(...outputsOf(tx, key))
  }
  const fees = fanouts.reduce((s, tx, f) => s + mined.coinbases[f].amount - tx.outputs.reduce((a, o) => a + o.amount, 0n), 0n)
  const fanBlock = mineBlock(mined.tip, fanouts, miner, { fees })
  return { blocks: [...mined.blocks, fanBlock], coins, tip: tipOf(fanBlock, mined.tip.height + 1) }
}

/**
 * ibd_sync_tx's chain: `txs` one-input transactions in blocks of 50, each
 * spending the block before's, and the signature limit of this run: a pool
 * as the node's verifying the chain's own signatures (up to 20,000) in
 * batches of 2,000, best of two rounds (as mempool_accept's: a shared
 * machine only ever lowers a round's rate, and one low round inflated the
 * ratio). MINICOIN_BENCH_IBD_TXS sets `txs` in the bench (default 50,000;
 * the mark holds at 200,000 too).
 */
export async function ibdChain (txs: number): Promise<{ blocks: Block[], txCount: number, sigRate: number }> {
  const PER_BLOCK = 50
  const BLOCKS = Math.ceil(txs / PER_BLOCK)
  const { blocks: setup, coins } = lanes(PER_BLOCK, 10_000_000n)
  const key = newKey()
  const blocks = [...setup]
  let tip = tipOf(setup[setup.length - 1], setup.length)
  let lane = coins
  let txCount = 0
  for (let b = 0; b < BLOCKS; b++) {
    const spends = lane.map(c => spend([c], [{ address: c.key.address, amount: c.amount - 1200n }, { address: key.address, amount: 1000n }]))
    txCount += spends.length
    const block = mineBlock(tip, spends, key, { fees: 200n * BigInt(spends.length) })
    blocks.push(block)
    tip = tipOf(block, tip.height + 1)
    lane = spends.map(tx => ({ txid: txid(tx), index: 0, amount: tx.outputs[0].amount, key: lane[0].key }))
  }
  const limitPool = await createVerifier({ backend: 'native' })
  const sample = blocks.slice(setup.length).flatMap(b => b.transactions.slice(1).map(tx => ({ digest: sighash(tx, regtest.id), signature: tx.inputs[0].signature, publicKey: tx.inputs[0].publicKey }))).slice(0, 20_000)
  let sigRate = 0
  for (let round = 0; round < 2; round++) {
    const l0 = performance.now()
    for (let i = 0; i < sample.length; i += 2000) await limitPool.verifyBatch(sample.slice(i, i + 2000))
    sigRate = Math.max(sigRate, sample.length / ((performance.now() - l0) / 1000))
  }
  await limitPool.close()
  return { blocks, txCount, sigRate }
}

/**
 * ibd_sync_tx's serving node, holding `blocks`, and the address to dial it
 * at. It runs in its own process (a daemon), as it would on another
 * machine: its serving does not take turns with the syncing node's work on
 * one thread (MINICOIN_BENCH_IBD_SOURCE=inprocess: in this process, as before).
 * `pid`: the daemon's, to read its CPU.
 */
export async function ibdSource (blocks: Block[], cleanup: Cleanup): Promise<{ target: Parameters<FullNode['host']['node']['dial']>[0], pid?: number }> {
  if (process.env.MINICOIN_BENCH_IBD_SOURCE === 'inprocess') {
    const [source] = await startNodes(1, cleanup, 'line')
    await feed([source], blocks)
    return { target: source.host.node.getMultiaddrs()[0] }
  }
  const serverDir = cleanup.tempDir()
  const fill = await createVerifier({ backend: 'native' })
  const chain = await Chain.open({ location: join(serverDir, 'data', 'chain'), params: regtest, verifier: fill })
  for (const b of blocks) await chain.processBlock(b)
  await chain.close()
  await fill.close()
  const server = await readyDaemon(run(['node', '--config', writeConfig(serverDir, 'full')], cleanup), join(serverDir, 'data'))
  return { target: multiaddr(dialAddress(server)), pid: server.proc.child.pid }
}

export const benches: Bench[] = [
  {
    name: 'block_propagation_5node',
    group: 'p2p',
    async run () {
      const cleanup = new Cleanup()
      try {
        const nodes = await startNodes(5, cleanup, 'line')
        const source = nodes[0]
        const key = newKey()
        const { coins, blocks: setup, tip: start } = lanes(20, 1_000_000n)
        await feed(nodes, setup)
        const delays: number[] = []
        let tip = start
        for (let i = 0; i < 60; i++) {
          // a realistic small block: a coinbase and a few payments
          const txs = coins.splice(0, 2).map(c => spend([c], [{ address: key.address, amount: c.amount - 500n }]))
          const block = mineBlock(tip, txs, key, { fees: 500n * BigInt(txs.length) })
          tip = tipOf(block, tip.height + 1)
          const hash = blockHashHex(block.header)
          // arrival times from the chains' own events, not from polling
          const arrived = new Map<FullNode, number>()
          const listeners = nodes.map(n => {
            const onTip = (e: { hashHex: string }): void => { if (e.hashHex === hash) arrived.set(n, performance.now()) }
            n.chain.on('tip', onTip)
            return () => n.chain.off('tip', onTip)
          })
          await source.chain.processBlock(block)
          const t0 = performance.now()
          source.gossip.publish('block', encodeBlock(block))
          await waitFor(() => arrived.size === nodes.length, 'propagation', 10_000)
          for (const off of listeners) off()
          delays.push(Math.max(...[...arrived.entries()].filter(([n]) => n !== source).map(([, t]) => t)) - t0)
        }
        const measured = delays.slice(10) // the first blocks warm up JIT and meshes
        measured.sort((a, b) => a - b)
        return [
          { bench: 'block_propagation_5node_p50', value: round(percentile(measured, 50), 1), unit: 'ms', hops: 4, mark: '<= 20' },
          { bench: 'block_propagation_5node_p99', value: round(percentile(measured, 99), 1), unit: 'ms', hops: 4, mark: '<= 100' }
        ]
      } finally {
        await cleanup.run()
      }
    }
  },
  {
    name: 'gossip_tx_lossless',
    group: 'p2p',
    async run () {
      const cleanup = new Cleanup()
      try {
        const N = 3000
        const nodes = await startNodes(3, cleanup, 'line')
        const { blocks, coins } = lanes(N, 100_000n)
        await feed(nodes, blocks)
        const key = newKey()
        const txs = coins.map(c => spend([c], [{ address: key.address, amount: c.amount - 300n }]))
        const ids = txs.map(tx => toHex(txid(tx)))
        const source = nodes[0]
        const t0 = performance.now()
        // the source validates each transaction, then the paced queue gossips it
        for (const tx of txs) {
          await source.pool.accept(tx)
          source.gossip.publish('tx', encodeTx(tx))
        }
        await waitFor(() => nodes.every(n => n.pool.size === N), 'every transaction at every node', 120_000)
        const seconds = (performance.now() - t0) / 1000
        const missing = nodes.map(n => ids.filter(id => !n.pool.has(id)).length)
        if (missing.some(m => m > 0)) throw new Error(`transactions lost: ${missing.join(',')}`)
        return [{ bench: 'gossip_tx_lossless', value: round(N / seconds), unit: 'tx/s', nodes: 3, transactions: N, lost: 0, mark: '>= 1000' }]
      } finally {
        await cleanup.run()
      }
    }
  },
  {
    name: 'ibd_sync_tx',
    group: 'p2p',
    async run () {
      const cleanup = new Cleanup()
      try {
        const { blocks, txCount, sigRate } = await ibdChain(Number(process.env.MINICOIN_BENCH_IBD_TXS ?? 50_000))
        const sourceHeight = blocks.length
        const source = await ibdSource(blocks, cleanup)
        const fresh = await FullNode.start(testConfig('full', cleanup.tempDir()), testLogger('fresh'))
        cleanup.add(async () => await fresh.stop())
        // CPU over the sync: this process (the syncing node, all its threads) and the serving daemon
        const cpu0 = process.cpuUsage()
        const serverCpu0 = source.pid === undefined ? 0 : processCpuSeconds(source.pid)
        const t0 = performance.now()
        await fresh.host.node.dial(source.target)
        await waitFor(() => fresh.chain.height === sourceHeight, 'initial block download', 600_000)
        const seconds = (performance.now() - t0) / 1000
        const cpu = process.cpuUsage(cpu0)
        const syncCpu = (cpu.user + cpu.system) / 1e6
        const serverCpu = source.pid === undefined ? 0 : processCpuSeconds(source.pid) - serverCpu0
        // What bounds the ratio on a CPU-bound machine: the limit is both
        // cores verifying and nothing else, so with both cores busy the sync
        // reaches the signatures' share of the CPU it spends (the verify
        // workers' cost a signature at the limit: 2 / sigRate core-seconds)
        const signatureShare = txCount * 2 / sigRate / (syncCpu + serverCpu)
        return [
          { bench: 'ibd_sync_tx', value: round(txCount / seconds), unit: 'tx/s', blocks: blocks.length, transactions: txCount, seconds: round(seconds, 2), mark: '>= 60% of ibd_signature_limit', reference: 'ibd_signature_limit', of_limit: round(txCount / seconds / sigRate, 2), sync_cpu_us_per_tx: round(syncCpu / txCount * 1e6, 1), server_cpu_us_per_tx: source.pid === undefined ? undefined : round(serverCpu / txCount * 1e6, 1), cpu_used_of_two_cores: round((syncCpu + serverCpu) / seconds / 2, 2), signature_share_of_cpu: source.pid === undefined ? undefined : round(signatureShare, 2) },
          { bench: 'ibd_signature_limit', value: round(sigRate), unit: 'tx/s', note: 'one signature per transaction: the node\'s verifier pool on these transactions alone, best of two rounds, same run' },
          { bench: 'ibd_sync_blocks', value: round(blocks.length / seconds), unit: 'blocks/s' }
        ]
      } finally {
        await cleanup.run()
      }
    }
  },
  {
    name: 'spv_header_sync',
    group: 'p2p',
    async run () {
      const cleanup = new Cleanup()
      try {
        const HEADERS = 20_000
        const { blocks } = mineChain(genesisTip(), HEADERS, newKey())
        // the serving full node runs in its own process, as it would on another machine
        const serverDir = cleanup.tempDir()
        const chain = await Chain.open({ location: join(serverDir, 'data', 'chain'), params: regtest, verifier: new NobleVerifier() })
        for (const b of blocks) await chain.processBlock(b)
        await chain.close()
        const server = await readyDaemon(run(['node', '--config', writeConfig(serverDir, 'full')], cleanup), join(serverDir, 'data'))
        // the raw reference: the same validation in this thread, no network
        const refDir = cleanup.tempDir()
        const reference = await HeaderChain.open({ location: join(refDir, 'h'), params: regtest })
        cleanup.add(async () => await reference.close())
        const r0 = performance.now()
        for (let i = 0; i < blocks.length; i += 2000) await reference.processHeaders(blocks.slice(i, i + 2000).map(b => b.header))
        const rawRate = HEADERS / ((performance.now() - r0) / 1000)

        const dir = cleanup.tempDir()
        const bootstrap = [dialAddress(server)]
        const light = await SpvNode.start(testConfig('spv', dir, { p2p: { host: '127.0.0.1', port: 0, bootstrap, mdns: false, maxPeers: 8 } }), testLogger('spv'))
        cleanup.add(async () => await light.stop())
        // two clocks: from the node being up (dial and identify included) and
        // from the first header request
        const up = performance.now()
        let started = 0
        while (started === 0 && performance.now() - up < 60_000) {
          if (light.client.syncing || light.headers.height > 0) started = performance.now()
          else await new Promise(resolve => setImmediate(resolve))
        }
        await waitFor(() => light.headers.height === HEADERS, 'header sync', 300_000)
        const end = performance.now()
        const seconds = (end - started) / 1000
        const withConnect = (end - up) / 1000
        return [
          { bench: 'spv_header_sync', value: round(HEADERS / seconds), unit: 'headers/s', headers: HEADERS, seconds: round(seconds, 3), mark: '>= 50000', reference: 'spv_header_validate_raw' },
          { bench: 'spv_header_sync_with_connect', value: round(HEADERS / withConnect), unit: 'headers/s', seconds: round(withConnect, 3) },
          { bench: 'spv_header_validate_raw', value: round(rawRate), unit: 'headers/s' }
        ]
      } finally {
        await cleanup.run()
      }
    }
  }
]
