// What every role holds the same way (the network parts from network-start.ts,
// the metrics, the event stream of NodeApi, the fatal signal) and the NodeApi
// queries written once for every role. The roles' read models
// (full-node-api.ts, spv-node-api.ts) extend it.
//
// Where the roles differ, a query reads `roleParts`: a tagged union of what a
// full node (chain, mempool, explorer, wallet, sync) and an SPV node (header
// chain, proofs, wallet, light client) hold. A query whose answer differs by
// role is still written once, here: it branches on `roleParts.kind`, and
// TypeScript gives each branch that role's parts (README, "How to extend").
import { EventEmitter } from 'node:events'
import type { NetworkParams } from '../core/params.js'
import type { Chain } from '../chain/chain.js'
import type { HeaderTree } from '../chain/header-tree.js'
import type { IndexEntry } from '../chain/block-index.js'
import { fromHex } from '../core/bytes.js'
import type { Mempool } from '../mempool/mempool.js'
import type { GossipService } from '../p2p/gossip.js'
import type { P2PHost } from '../p2p/host.js'
import type { PeerReputation } from '../p2p/reputation.js'
import type { SyncManager } from '../p2p/sync.js'
import type { HeaderChain } from '../spv/header-chain.js'
import type { LightClient } from '../spv/light-client.js'
import type { ProvenTransactions } from '../spv/proven-txs.js'
import type { SpvWallet } from '../spv/spv-wallet.js'
import type { ChainExplorer } from './chain-explorer.js'
import type { FatalSignal } from './fatal.js'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { HeaderView, NetworkView, NodeEvents, PeerView, Role, TreeNodeView, TxView } from './node-api.js'
import { chainLookupOf, networkView } from './network-view.js'
import type { NetworkWatch } from './network-watch.js'
import type { PeerDirectory } from './peer-directory.js'
import { recentTree, searchQuery, type SearchHit } from './read-helpers.js'
import { headerView } from './views.js'
import type { NodeWallet } from './wallet/node-wallet.js'

export interface RoleBaseParts {
  log: Logger
  params: NetworkParams
  metrics: NodeMetrics
  reputation: PeerReputation
  host: P2PHost
  gossip: GossipService
  /** Resolves on a storage failure: the node stops taking work and the daemon stops it. */
  fatal: FatalSignal
}

/** What a full node and a miner hold that an SPV node does not. */
export interface FullRoleParts {
  kind: 'full'
  chain: Chain
  pool: Mempool
  /** Block, transaction and address views at a bounded cost per request. */
  explorer: ChainExplorer
  wallet: NodeWallet
  sync: SyncManager
}

/** What an SPV node holds: headers, the proofs of its own transactions, its wallet. */
export interface SpvRoleParts {
  kind: 'spv'
  headers: HeaderChain
  proven: ProvenTransactions
  wallet: SpvWallet
  client: LightClient
}

export type RoleParts = FullRoleParts | SpvRoleParts

export abstract class RoleBase {
  readonly params: NetworkParams
  readonly metrics: NodeMetrics
  readonly events = new EventEmitter<NodeEvents>()
  readonly reputation: PeerReputation
  readonly host: P2PHost
  readonly gossip: GossipService
  readonly fatal: FatalSignal
  protected readonly log: Logger
  protected readonly startedAt = Date.now()
  abstract readonly role: Role
  /** What this role holds that the other does not (see the top of this file). */
  protected abstract readonly roleParts: RoleParts
  /** What the node knows of its peers (identify, sync status, score). */
  abstract readonly peerDirectory: PeerDirectory
  /** Peers' claims and block arrivals, for GET /api/network. */
  abstract readonly watch: NetworkWatch

  protected constructor (parts: RoleBaseParts) {
    this.log = parts.log
    this.params = parts.params
    this.metrics = parts.metrics
    this.reputation = parts.reputation
    this.host = parts.host
    this.gossip = parts.gossip
    this.fatal = parts.fatal
  }

  get peerId (): string {
    return this.host.peerId
  }

  get listen (): string[] {
    return this.host.listenAddresses()
  }

  /** The header tree both roles keep: a full node's chain, an SPV node's header chain. */
  protected get tree (): HeaderTree<any> {
    const p = this.roleParts
    return p.kind === 'spv' ? p.headers : p.chain
  }

  abstract peers (): PeerView[]
  abstract tx (id: string): TxView | undefined

  /** Active-chain entries, newest first, from height `from` (default: the tip). */
  protected activeEntries (from: number | undefined, limit: number): IndexEntry[] {
    const tree = this.tree
    const out: IndexEntry[] = []
    for (let h = Math.min(from ?? tree.height, tree.height); h >= 0 && out.length < limit; h--) {
      const e = tree.entryAt(h)
      if (e !== undefined) out.push(e)
    }
    return out
  }

  headerList (from: number | undefined, limit: number): HeaderView[] {
    const height = this.tree.height
    return this.activeEntries(from, limit).map(e => headerView(e, height, true))
  }

  blockTree (depth: number): TreeNodeView[] {
    const tree = this.tree
    return recentTree(tree.index.entries(), tree.height, depth, e => tree.index.isActive(e))
  }

  async network (): Promise<NetworkView> {
    return await networkView({
      chain: chainLookupOf(this.tree, { peerId: this.peerId, role: this.role }, depth => this.blockTree(depth)),
      watch: this.watch,
      peers: () => this.peers(),
      peerStore: this.host.node.peerStore
    })
  }

  search (query: string): SearchHit {
    const p = this.roleParts
    const tree = this.tree
    return searchQuery(query, this.params, {
      hasHeight: h => tree.entryAt(h) !== undefined,
      hasBlock: hex => tree.getEntry(hex) !== undefined,
      // a full node knows every transaction; an SPV node only its wallet's (proven or pending)
      hasTx: p.kind === 'spv'
        ? hex => this.tx(hex) !== undefined
        : hex => p.pool.get(hex) !== undefined || p.chain.getTxLocation(fromHex(hex)) !== undefined,
      // an SPV node has the history of its own addresses only
      showsAddress: p.kind === 'spv' ? hash => p.wallet.isMine(hash) : () => true
    })
  }
}
