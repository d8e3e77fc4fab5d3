// What the HTTP API, the dashboard and the CLI see of a running node. Every
// role implements it; views are plain JSON-ready objects (amounts as decimal
// strings of base units, hashes as hex) so no amount passes through a float.
import type { MiningControl } from './mining-control.js'
import type { EventEmitter } from 'node:events'
import type { NetworkParams } from '../core/params.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { ROLES } from './config-schema.js'

export type Role = typeof ROLES[number]

export type Awaitable<T> = T | Promise<T>

export interface StatusView {
  role: Role
  network: string
  peerId: string
  listen: string[]
  height: number
  tip: string
  peers: number
  mempool: number
  syncing: boolean
  /** Height of the best header known from peers. */
  bestHeaderHeight: number
  /** Expected hashes per block at the tip. */
  difficulty: number
  /** Miner only. */
  mining?: { enabled: boolean, threads: number, hashRate: number, blocksMined: number }
  /** Unix ms the node started. */
  startedAt: number
}

export interface HeaderView {
  hash: string
  height: number
  version: number
  prevHash: string
  merkleRoot: string
  time: number
  bits: string // hex of the compact target, e.g. "1e0fffff"
  nonce: number
  /** Cumulative chain work as a decimal string. */
  work: string
  confirmations: number
  /** On the active chain (false: a side branch). */
  active: boolean
}

export interface TxInputView {
  prevTxid: string
  prevIndex: number
  /** Known when the spent output is (confirmed or pending). */
  address?: string
  amount?: string
}

export interface TxOutputView {
  address: string
  amount: string
}

export interface TxView {
  txid: string
  size: number
  coinbase: boolean
  inputs: TxInputView[]
  outputs: TxOutputView[]
  /** Known when every spent output is known. */
  fee?: string
  lockTime: number
  /** Confirmed transactions: the block. */
  block?: { hash: string, height: number, index: number }
  confirmations: number
  /** Pending transactions: arrival time (unix ms). */
  receivedAt?: number
}

/**
 * A block summary (lists, events): the header, size and transaction count.
 * GET /api/blocks/:id adds the first page of its transactions; the rest
 * come from GET /api/blocks/:id/txs, so no request costs a whole big block.
 */
export interface BlockView extends HeaderView {
  size: number
  txCount: number
  /** GET /api/blocks/:id on a full node: the first page of transactions. Absent on lists, events and SPV nodes. */
  transactions?: TxView[]
  /** Set when `transactions` does not reach the end of the block: the offset of the next page. */
  nextTxOffset?: number
}

/** GET /api/blocks/:id/txs: one page of a block's transactions, in block order from `offset`. */
export interface BlockTxPage {
  hash: string
  height: number
  txCount: number
  offset: number
  transactions: TxView[]
  /** Absent on the last page. */
  nextOffset?: number
}

/** GET /api/address/:a: one page of an address's confirmed history, newest first. */
export interface AddressHistoryPage {
  address: string
  transactions: WalletTxView[]
  /** Cursor for the next (older) page; absent on the last page. */
  next?: string
}

export interface PeerView {
  peerId: string
  addresses: string[]
  direction: 'inbound' | 'outbound'
  /** Gossip score (gossipsub) plus the node's own penalties. */
  score: number
  /** Learned from the sync status exchange, when known. */
  height?: number
  tip?: string
  connectedAt: number
  /** Peers this peer is known to be connected to (for the dashboard's graph). */
  links?: string[]
}

export interface WalletTxView {
  txid: string
  /** Net effect on the wallet, signed decimal string. */
  delta: string
  height?: number
  confirmations: number
  /** At the wallet's required depth (own change: in a block). Node wallets. */
  confirmed?: boolean
  time?: number
  /** SPV: the Merkle branch that proved it, leaf to root. */
  proof?: { blockHash: string, index: number, branch: string[], merkleRoot: string }
}

export interface WalletView {
  /** Receiving addresses (the first receives mining rewards). */
  addresses: string[]
  /** Change addresses handed out (BIP44 internal chain). */
  changeAddresses?: string[]
  balance: { confirmed: string, pending: string, immature?: string }
  /** Depth at which a payment counts as confirmed (config wallet.confirmations). */
  confirmationsRequired?: number
  transactions: WalletTxView[]
}

/** A published payment: its txid and the fee it pays, in base units (a decimal string like every amount). */
export interface SendResult { txid: string, fee: string }

export interface SendOptions {
  /** Accept a fee above the wallet's cap (1 MC). */
  force?: boolean
}

export interface TreeNodeView {
  hash: string
  prevHash: string
  height: number
  time: number
  active: boolean
  invalid: boolean
  hasData: boolean
}

/**
 * How a node's claimed chain relates to ours: `same-tip`; `behind` (its tip
 * is on our active chain below our tip, or only its height is known and is
 * lower); `forked` (its tip is a block we know off our active chain);
 * `ahead` (claims more work than ours, tip not known to us yet, or only a
 * higher height known); `unknown` (nothing claimed, or a tip we do not know
 * with no more work than ours).
 */
export type TipAgreement = 'same-tip' | 'behind' | 'forked' | 'ahead' | 'unknown'

/** GET /api/network: one node of the LAN as this node knows it. Everything but `connected` and `addresses` is what the peer claimed. */
export interface NetworkNodeView {
  peerId: string
  /** From the peer's identify agent string (claimed). */
  role?: Role
  connected: boolean
  direction?: 'inbound' | 'outbound'
  /** Addresses from this node's address book (libp2p peer store) or its connection. */
  addresses: string[]
  /** Its last chain status (claimed, not verified). */
  height?: number
  tip?: string
  /** Cumulative work it claimed, decimal. */
  work?: string
  /** Unix ms this node last heard its status; absent when it never sent one. */
  heardAt?: number
  agreement: TipAgreement
  /** Blocks behind our tip, for `behind`. */
  behindBy?: number
}

/** When one peer announced a block (unix ms), relative to the first arrival from anyone (including this node itself). */
export interface BlockArrivalView {
  peerId: string
  at: number
  delayMs: number
  /** `block` / `header`: a gossip delivery of the block or its header announcement; `status`: the peer's status exchange named it as its tip (coarser: statuses are exchanged every ~10 s). */
  via: 'block' | 'header' | 'status'
}

export interface BlockPropagationView {
  hash: string
  height: number
  /** Header time (unix seconds). */
  time: number
  /** First time anyone (a peer, or this node mining or connecting it) had it here, unix ms. */
  firstAt: number
  /** When this node itself had it (mined, or connected to its chain). */
  local?: { at: number, how: 'mined' | 'connected' }
  arrivals: BlockArrivalView[]
  active: boolean
}

export interface NetworkView {
  self: { peerId: string, role: Role, height: number, tip: string, work: string }
  /** Every node this node knows of: connected peers and those in its address book. */
  nodes: NetworkNodeView[]
  /** Recent blocks, newest first, with when each peer announced them. */
  propagation: BlockPropagationView[]
  /** Blocks off the active chain (stale or side branches) among the last `staleWindow` heights. */
  stale: Array<{ hash: string, height: number, time: number, invalid: boolean }>
  staleWindow: { from: number, to: number }
  /** The bounds of what is kept, so no peer can grow it. */
  limits: { blocks: number, peersPerBlock: number, nodes: number }
}

export interface NodeEvents {
  /** A new tip (after connecting or a reorg). */
  tip: [header: HeaderView]
  /** A block connected to the active chain. */
  block: [block: BlockView]
  /** A transaction entered the mempool (or, SPV, the wallet saw one). */
  tx: [tx: TxView]
  /** A transaction left the mempool. */
  txRemoved: [txid: string, reason: string]
  /** A peer connected or disconnected, or (full nodes) a peer's status exchange named a new tip of its chain. */
  peer: [event: { type: 'connect' | 'disconnect' | 'status', peerId: string }]
  /** SPV: a payment proven by a Merkle proof. */
  proof: [tx: WalletTxView]
}

export interface NodeApi {
  readonly role: Role
  readonly params: NetworkParams
  readonly metrics: NodeMetrics
  readonly events: EventEmitter<NodeEvents>
  status: () => StatusView
  /** Active-chain headers, newest first, from height `from` (default: the tip); reads no block data. */
  headerList: (from: number | undefined, limit: number) => HeaderView[]
  /**
   * Active-chain block summaries, newest first, from height `from` (default: the tip).
   * May return fewer than `limit` when the request's read budget is spent: continue from the last height - 1.
   */
  blocks: (from: number | undefined, limit: number) => Awaitable<BlockView[]>
  /** The summary and the first page of transactions. */
  block: (hashOrHeight: string) => Awaitable<BlockView | undefined>
  /** A page of a block's transactions; undefined when the block (or its data) is unknown. */
  blockTxs: (hashOrHeight: string, offset: number, limit: number) => Awaitable<BlockTxPage | undefined>
  tx: (txid: string) => TxView | undefined
  mempool: () => TxView[]
  peers: () => PeerView[]
  /** The LAN as this node hears it: what peers claim, its address book, when each block reached it from each peer. */
  network: () => Awaitable<NetworkView>
  /** Recent block tree including side branches (for the dashboard). */
  blockTree: (depth: number) => TreeNodeView[]
  wallet: () => Promise<WalletView>
  newAddress: () => Promise<string>
  /** Builds, signs, publishes; says the fee it paid. Throws NodeError on bad input or insufficient funds. */
  send: (to: string, amount: bigint, fee?: bigint, options?: SendOptions) => Promise<SendResult>
  /** A transaction signed elsewhere (canonical protobuf bytes). Throws NodeError with the reject reason. */
  submitTx: (bytes: Uint8Array) => Promise<{ txid: string }>
  /** The mining capability: present on a miner, absent on roles that do not mine. */
  readonly mining?: MiningControl
  /** Search by height, block hash, txid or address. */
  search: (query: string) => { kind: 'block' | 'tx' | 'address', id: string } | undefined
  /** Confirmed history of any address (full nodes; SPV: only its own wallet), newest first, `limit` entries after `cursor`. */
  addressHistory: (address: string, cursor: string | undefined, limit: number) => Promise<AddressHistoryPage>
}
