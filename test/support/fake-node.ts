// An in-memory NodeApi with canned data for API, CLI and dashboard tests: no
// network, no disk. Events are emitted by the test; every call is recorded.
import { EventEmitter } from 'node:events'
import { devnet, type NetworkParams } from '../../src/core/params.js'
import { encodeAddress } from '../../src/wallet/address.js'
import { NodeMetrics } from '../../src/telemetry/metrics.js'
import { ApiError } from '../../src/api/api-error.js'
import type { MiningControl } from '../../src/node/mining-control.js'
import {
  type AddressHistoryPage, type BlockTxPage, type BlockView, type HeaderView, type NetworkView, type NodeApi, type NodeEvents, type PeerView, type Role, type SendResult, type StatusView,
  type TreeNodeView, type TxView, type WalletTxView, type WalletView
} from '../../src/node/node-api.js'

export interface RecordedCall { method: string, args: unknown[] }

/** A deterministic 64-hex hash from a label. */
export function fakeHash (n: number, prefix = 'ab'): string {
  return (prefix + n.toString(16).padStart(8, '0')).padEnd(64, '0')
}

/** A valid address on `params` from a small number. */
export function fakeAddress (n: number, params: NetworkParams = devnet): string {
  const hash = new Uint8Array(20)
  hash[19] = n & 0xff
  hash[18] = (n >> 8) & 0xff
  return encodeAddress(hash, params)
}

const PEER_A = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const PEER_B = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
export const FAKE_PEER_ID = '12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE'

function txView (n: number, height: number | undefined, tipHeight: number): TxView {
  return {
    txid: fakeHash(n, 'cd'),
    size: 200 + n,
    coinbase: n % 10 === 0,
    inputs: n % 10 === 0 ? [] : [{ prevTxid: fakeHash(n - 1, 'cd'), prevIndex: 0, address: fakeAddress(1), amount: '5000000000' }],
    outputs: [{ address: fakeAddress(2), amount: '4999990000' }],
    fee: n % 10 === 0 ? undefined : '10000',
    lockTime: 0,
    ...(height !== undefined
      ? { block: { hash: fakeHash(height), height, index: n % 10 }, confirmations: tipHeight - height + 1 }
      : { confirmations: 0, receivedAt: 1_700_000_000_000 })
  }
}

function blockView (height: number, tipHeight: number): BlockView {
  const transactions = [txView(height * 10, height, tipHeight), ...(height > 0 ? [txView(height * 10 + 1, height, tipHeight)] : [])]
  return {
    hash: fakeHash(height),
    height,
    version: 1,
    prevHash: height === 0 ? '0'.repeat(64) : fakeHash(height - 1),
    merkleRoot: fakeHash(height, 'ee'),
    time: 1_795_219_200 + height * 5,
    bits: '1e03ffff',
    nonce: height * 7,
    work: String((height + 1) * 1000),
    confirmations: tipHeight - height + 1,
    active: true,
    size: 300 * transactions.length,
    txCount: transactions.length,
    transactions
  }
}

export interface FakeNodeOptions {
  role?: Role
  height?: number
  params?: NetworkParams
}

export class FakeNode implements NodeApi {
  readonly role: Role
  readonly params: NetworkParams
  readonly metrics = new NodeMetrics()
  readonly events = new EventEmitter<NodeEvents>()
  readonly calls: RecordedCall[] = []
  readonly chain: BlockView[] = []
  readonly pool: TxView[]
  readonly walletAddresses: string[]
  /** Whether the fake miner is mining. */
  miningOn = true
  /** The mining capability, on a miner only (calls recorded as 'mining'). */
  readonly mining: MiningControl | undefined
  /** Set to make the next call of that method throw this error. */
  failNext: Partial<Record<keyof NodeApi, unknown>> = {}

  constructor (opts: FakeNodeOptions = {}) {
    this.role = opts.role ?? 'miner'
    this.mining = this.role !== 'miner'
      ? undefined
      : {
          setEnabled: (enabled: boolean) => {
            this.record('mining', [enabled])
            this.miningOn = enabled
          },
          status: () => ({ enabled: this.miningOn, threads: 1, hashRate: 1000, blocksMined: 5 })
        }
    this.params = opts.params ?? devnet
    const height = opts.height ?? 12
    for (let h = 0; h <= height; h++) this.chain.push(blockView(h, height))
    this.pool = [txView(9001, undefined, height), txView(9002, undefined, height)]
    this.walletAddresses = [fakeAddress(2, this.params)]
    this.metrics.chainHeight.set(height)
  }

  private record (method: keyof NodeApi, args: unknown[]): void {
    this.calls.push({ method, args })
    if (method in this.failNext) {
      const err = this.failNext[method]
      delete this.failNext[method]
      throw err
    }
  }

  callsOf (method: keyof NodeApi): unknown[][] {
    return this.calls.filter(c => c.method === method).map(c => c.args)
  }

  get tip (): BlockView {
    return this.chain[this.chain.length - 1]
  }

  status (): StatusView {
    this.record('status', [])
    return {
      role: this.role,
      network: this.params.id,
      peerId: FAKE_PEER_ID,
      listen: [`/ip4/127.0.0.1/tcp/4001/p2p/${FAKE_PEER_ID}`],
      height: this.tip.height,
      tip: this.tip.hash,
      peers: 2,
      mempool: this.pool.length,
      syncing: false,
      bestHeaderHeight: this.tip.height,
      difficulty: 262144,
      ...(this.mining !== undefined ? { mining: this.mining.status() } : {}),
      startedAt: 1_700_000_000_000
    }
  }

  headerList (from: number | undefined, limit: number): HeaderView[] {
    this.record('headerList', [from, limit])
    const start = Math.min(from ?? this.tip.height, this.tip.height)
    const out: HeaderView[] = []
    for (let h = start; h >= 0 && out.length < limit; h--) {
      const { size: _s, txCount: _c, transactions: _t, ...header } = this.chain[h]
      out.push(header)
    }
    return out
  }

  /** Summaries, as a full node lists them: no transactions. */
  blocks (from: number | undefined, limit: number): BlockView[] {
    this.record('blocks', [from, limit])
    const start = Math.min(from ?? this.tip.height, this.tip.height)
    const out: BlockView[] = []
    for (let h = start; h >= 0 && out.length < limit; h--) out.push({ ...this.chain[h], transactions: undefined })
    return out
  }

  private findBlock (hashOrHeight: string): BlockView | undefined {
    if (/^[0-9]+$/.test(hashOrHeight) && hashOrHeight.length < 64) return this.chain[Number(hashOrHeight)]
    return this.chain.find(b => b.hash === hashOrHeight)
  }

  block (hashOrHeight: string): BlockView | undefined {
    this.record('block', [hashOrHeight])
    return this.findBlock(hashOrHeight)
  }

  blockTxs (hashOrHeight: string, offset: number, limit: number): BlockTxPage | undefined {
    this.record('blockTxs', [hashOrHeight, offset, limit])
    const b = this.findBlock(hashOrHeight)
    if (b === undefined) return undefined
    const all = b.transactions ?? []
    const page: BlockTxPage = { hash: b.hash, height: b.height, txCount: b.txCount, offset, transactions: all.slice(offset, offset + limit) }
    if (offset + limit < all.length) page.nextOffset = offset + limit
    return page
  }

  tx (txid: string): TxView | undefined {
    this.record('tx', [txid])
    for (const b of this.chain) {
      const found = b.transactions?.find(t => t.txid === txid)
      if (found !== undefined) return found
    }
    return this.pool.find(t => t.txid === txid)
  }

  mempool (): TxView[] {
    this.record('mempool', [])
    return this.pool
  }

  peers (): PeerView[] {
    this.record('peers', [])
    return [
      { peerId: PEER_A, addresses: [`/ip4/127.0.0.1/tcp/4002/p2p/${PEER_A}`], direction: 'inbound', score: 0, height: this.tip.height, tip: this.tip.hash, connectedAt: 1_700_000_000_000, links: [PEER_B] },
      { peerId: PEER_B, addresses: [`/ip4/127.0.0.1/tcp/4003/p2p/${PEER_B}`], direction: 'outbound', score: 1.5, connectedAt: 1_700_000_000_000 }
    ]
  }

  network (): NetworkView {
    this.record('network', [])
    const at = 1_700_000_000_000
    return {
      self: { peerId: FAKE_PEER_ID, role: this.role, height: this.tip.height, tip: this.tip.hash, work: String(this.tip.height + 1) },
      nodes: [
        { peerId: PEER_A, role: 'full', connected: true, direction: 'inbound', addresses: [`/ip4/127.0.0.1/tcp/4002/p2p/${PEER_A}`], height: this.tip.height, tip: this.tip.hash, heardAt: at, agreement: 'same-tip' },
        { peerId: PEER_B, connected: true, direction: 'outbound', addresses: [`/ip4/127.0.0.1/tcp/4003/p2p/${PEER_B}`], agreement: 'unknown' }
      ],
      propagation: [{ hash: this.tip.hash, height: this.tip.height, time: this.tip.time, firstAt: at, arrivals: [{ peerId: PEER_A, at: at + 120, delayMs: 120, via: 'block' }], active: true }],
      stale: [],
      staleWindow: { from: Math.max(0, this.tip.height - 200), to: this.tip.height },
      limits: { blocks: 48, peersPerBlock: 32, nodes: 100 }
    }
  }

  blockTree (depth: number): TreeNodeView[] {
    this.record('blockTree', [depth])
    return this.chain.slice(-depth).map(b => ({ hash: b.hash, prevHash: b.prevHash, height: b.height, time: b.time, active: true, invalid: false, hasData: true }))
  }

  async wallet (): Promise<WalletView> {
    this.record('wallet', [])
    return {
      addresses: [...this.walletAddresses],
      balance: { confirmed: '5000000000', pending: '0', immature: '2500000000' },
      transactions: [{ txid: fakeHash(10, 'cd'), delta: '5000000000', height: 1, confirmations: this.tip.height, time: 1_795_219_205 }]
    }
  }

  async newAddress (): Promise<string> {
    this.record('newAddress', [])
    const address = fakeAddress(100 + this.walletAddresses.length, this.params)
    this.walletAddresses.push(address)
    return address
  }

  async send (to: string, amount: bigint, fee?: bigint): Promise<SendResult> {
    this.record('send', [to, amount, fee])
    if (amount > 5_000_000_000n) throw new ApiError(400, 'insufficient-funds', `insufficient funds: 5000000000 available, ${amount} needed`)
    return { txid: fakeHash(7777, 'f0'), fee: (fee ?? 226n).toString() }
  }

  async submitTx (bytes: Uint8Array): Promise<{ txid: string }> {
    this.record('submitTx', [bytes])
    if (bytes[0] === 0xff) throw new ApiError(400, 'tx-rejected', 'bad-txns-inputs-missingorspent')
    return { txid: fakeHash(bytes.length, 'f1') }
  }

  search (query: string): { kind: 'block' | 'tx' | 'address', id: string } | undefined {
    this.record('search', [query])
    if (/^[0-9]+$/.test(query) && Number(query) <= this.tip.height) return { kind: 'block', id: this.chain[Number(query)].hash }
    if (this.chain.some(b => b.hash === query)) return { kind: 'block', id: query }
    if (this.walletAddresses.includes(query)) return { kind: 'address', id: query }
    return undefined
  }

  async addressHistory (address: string, cursor: string | undefined, limit: number): Promise<AddressHistoryPage> {
    this.record('addressHistory', [address, cursor, limit])
    const all: WalletTxView[] = this.walletAddresses.includes(address) ? [{ txid: fakeHash(10, 'cd'), delta: '5000000000', height: 1, confirmations: this.tip.height }] : []
    return { address, transactions: cursor === undefined ? all.slice(0, limit) : [] }
  }
}
