// Every metric the node exports, in one registry per node (several nodes can
// share a process in tests). Names of DESIGN.md are the contract. Label
// values known in advance are initialised to 0 so every series exists from
// the start.
import { readFileSync } from 'node:fs'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client'

export const BLOCK_RESULTS = ['accepted', 'side', 'orphan', 'duplicate', 'rejected', 'ignored'] as const
export const TX_RESULTS = ['accepted', 'duplicate', 'rejected', 'ignored'] as const
export const GOSSIP_RESULTS = ['accept', 'ignore', 'reject'] as const
export const GOSSIP_TOPICS = ['tx', 'block', 'header'] as const
export const RPC_PROTOCOLS = ['sync', 'spv'] as const
export const RPC_RESULTS = ['ok', 'error', 'timeout', 'rate_limited', 'invalid'] as const

let processRegistry: Registry | undefined

/**
 * prom-client's default collectors (process_*, nodejs_*), created once per
 * process: they describe the process, not a node, and each set starts an
 * event-loop delay monitor and a GC observer that are never released, so a
 * test process starting dozens of nodes must not create one set per node.
 * Every node's registry shares these metric objects.
 */
export function processMetrics (): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

/** This installation's version (package.json), for minicoin_node_info. */
function softwareVersion (): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/** What a node is, exported as labels of minicoin_node_info and as constants the alert rules compare with. */
export interface NodeIdentity {
  network: string
  role: string
  /** The network's target block interval, in seconds. */
  targetBlockTime: number
}

export class NodeMetrics {
  readonly registry = new Registry()
  /** Read at every scrape: the miner's current hash rate. */
  hashRateSource: (() => number) | undefined
  /** The mempool's size, read when the gauges are scraped (full nodes). */
  mempoolSource: (() => { transactions: number, bytes: number }) | undefined
  readonly chainHeight: Gauge
  readonly peers: Gauge
  readonly mempoolTransactions: Gauge
  readonly mempoolBytes: Gauge
  readonly blocksTotal: Counter<'result'>
  readonly transactionsTotal: Counter<'result'>
  readonly gossipMessagesTotal: Counter<'topic' | 'result'>
  readonly spvProofsVerifiedTotal: Counter
  readonly spvProofsRejectedTotal: Counter
  readonly blockValidationSeconds: Histogram
  readonly txValidationSeconds: Histogram
  readonly blockPropagationSeconds: Histogram
  readonly hashRate: Gauge
  readonly difficulty: Gauge
  readonly syncTargetHeight: Gauge
  readonly syncProgress: Gauge
  readonly rpcRequestsTotal: Counter<'protocol' | 'direction' | 'result'>
  readonly peerPenaltiesTotal: Counter<'reason'>
  readonly peersBannedTotal: Counter
  readonly nodeInfo: Gauge<'network' | 'role' | 'version'>
  readonly chainTipTimestamp: Gauge
  readonly targetBlockTime: Gauge
  readonly mempoolMaxBytes: Gauge

  constructor (identity?: NodeIdentity) {
    const r = this.registry
    for (const metric of processMetrics().getMetricsAsArray()) r.registerMetric(metric as unknown as Metric)
    this.chainHeight = new Gauge({ name: 'minicoin_chain_height', help: 'Height of the active chain (SPV: of the verified header chain)', registers: [r] })
    this.peers = new Gauge({ name: 'minicoin_peers', help: 'Connected peers', registers: [r] })
    // read from the pool when scraped (mempoolSource), not set on every accepted transaction
    const pool = (): { transactions: number, bytes: number } | undefined => this.mempoolSource?.()
    this.mempoolTransactions = new Gauge({ name: 'minicoin_mempool_transactions', help: 'Transactions waiting in the mempool', registers: [r], collect () { const p = pool(); if (p !== undefined) this.set(p.transactions) } })
    this.mempoolBytes = new Gauge({ name: 'minicoin_mempool_bytes', help: 'Summed size of mempool transactions', registers: [r], collect () { const p = pool(); if (p !== undefined) this.set(p.bytes) } })
    this.blocksTotal = new Counter({ name: 'minicoin_blocks_total', help: 'Blocks processed, by result', labelNames: ['result'], registers: [r] })
    this.transactionsTotal = new Counter({ name: 'minicoin_transactions_total', help: 'Transactions processed for the mempool, by result', labelNames: ['result'], registers: [r] })
    this.gossipMessagesTotal = new Counter({ name: 'minicoin_gossip_messages_total', help: 'Gossip messages validated, by topic and result', labelNames: ['topic', 'result'], registers: [r] })
    this.spvProofsVerifiedTotal = new Counter({ name: 'minicoin_spv_proofs_verified_total', help: 'Merkle proofs verified against the header chain', registers: [r] })
    this.spvProofsRejectedTotal = new Counter({ name: 'minicoin_spv_proofs_rejected_total', help: 'Merkle proofs that failed verification', registers: [r] })
    this.blockValidationSeconds = new Histogram({ name: 'minicoin_block_validation_seconds', help: 'Time to validate and connect a block', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [r] })
    this.txValidationSeconds = new Histogram({ name: 'minicoin_tx_validation_seconds', help: 'Time to validate a transaction for the mempool', buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1], registers: [r] })
    this.blockPropagationSeconds = new Histogram({ name: 'minicoin_block_propagation_seconds', help: 'Delay between a block header time and its arrival here', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers: [r] })
    const metrics = this
    this.hashRate = new Gauge({
      name: 'minicoin_hash_rate',
      help: 'Local mining hash rate (hashes per second)',
      registers: [r],
      collect () { if (metrics.hashRateSource !== undefined) this.set(metrics.hashRateSource()) }
    })
    this.difficulty = new Gauge({ name: 'minicoin_difficulty', help: 'Expected hashes per block at the tip', registers: [r] })
    this.syncTargetHeight = new Gauge({ name: 'minicoin_sync_target_height', help: 'Height of the best header known from peers', registers: [r] })
    this.syncProgress = new Gauge({ name: 'minicoin_sync_progress_ratio', help: 'Chain height over best known header height', registers: [r] })
    this.rpcRequestsTotal = new Counter({ name: 'minicoin_rpc_requests_total', help: 'Request/response exchanges by protocol, direction and result', labelNames: ['protocol', 'direction', 'result'], registers: [r] })
    this.peerPenaltiesTotal = new Counter({ name: 'minicoin_peer_penalties_total', help: 'Penalties given to peers, by reason', labelNames: ['reason'], registers: [r] })
    this.peersBannedTotal = new Counter({ name: 'minicoin_peers_banned_total', help: 'Peers disconnected and banned for misbehaviour', registers: [r] })

    this.nodeInfo = new Gauge({ name: 'minicoin_node_info', help: 'Always 1; the labels say which network and role this node runs, and its software version', labelNames: ['network', 'role', 'version'], registers: [r] })
    this.chainTipTimestamp = new Gauge({ name: 'minicoin_chain_tip_timestamp_seconds', help: 'Header time of the tip of the active chain (Unix seconds); time() minus this is the tip age', registers: [r] })
    this.targetBlockTime = new Gauge({ name: 'minicoin_target_block_time_seconds', help: 'The network\'s target interval between blocks', registers: [r] })
    this.mempoolMaxBytes = new Gauge({ name: 'minicoin_mempool_max_bytes', help: 'Mempool size cap (mempool.maxBytes); above it the lowest fee rates are evicted. 0 on SPV nodes, which keep no mempool', registers: [r] })

    if (identity !== undefined) {
      this.nodeInfo.set({ network: identity.network, role: identity.role, version: softwareVersion() }, 1)
      this.targetBlockTime.set(identity.targetBlockTime)
    }
    for (const result of BLOCK_RESULTS) this.blocksTotal.inc({ result }, 0)
    for (const result of TX_RESULTS) this.transactionsTotal.inc({ result }, 0)
    for (const topic of GOSSIP_TOPICS) for (const result of GOSSIP_RESULTS) this.gossipMessagesTotal.inc({ topic, result }, 0)
    for (const protocol of RPC_PROTOCOLS) {
      for (const direction of ['inbound', 'outbound']) for (const result of RPC_RESULTS) this.rpcRequestsTotal.inc({ protocol, direction, result }, 0)
    }
    this.spvProofsVerifiedTotal.inc(0)
  }

  /** A new tip: its height, header time and difficulty. */
  setTip (height: number, headerTime: number, difficulty: number): void {
    this.chainHeight.set(height)
    this.chainTipTimestamp.set(headerTime)
    this.difficulty.set(difficulty)
  }
}
