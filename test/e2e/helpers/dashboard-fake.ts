// A livelier fake node for the dashboard: blocks whose Merkle roots are real
// (so the browser's recomputation matches), a block tree with a side branch,
// an invalid block and a header-only block, peers with roles, SPV payments
// with real Merkle branches, and a ticker that mines blocks and adds mempool
// transactions with the events a real node emits. Used by
// scripts/dashboard-dev.ts and the dashboard UI tests.
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fromHex, toHex } from '../../../src/core/bytes.js'
import { merkleBranch, merkleRoot } from '../../../src/core/merkle.js'
import { startApiServer, type ApiServer } from '../../../src/api/server.js'
import { createLogger } from '../../../src/telemetry/logger.js'
import type { BlockView, PeerView, Role, SendResult, StatusView, TreeNodeView, TxView, WalletTxView, WalletView } from '../../../src/node/node-api.js'
import { FAKE_PEER_ID, FakeNode, fakeAddress } from '../../support/fake-node.js'

export const WEB_DIR = resolve(import.meta.dirname, '..', '..', '..', 'web')

const BASE_TIME = 1_795_219_200

function sha (label: string): string {
  return createHash('sha256').update(label).digest('hex')
}

function blockHashOf (label: string): string {
  return '0000' + sha(label).slice(4)
}

const PEERS: Array<{ peerId: string, role: Role }> = [
  { peerId: '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp', role: 'full' },
  { peerId: '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo', role: 'spv' },
  { peerId: '12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UEaa', role: 'miner' }
]

export interface DashboardFakeOptions {
  role?: Role
  height?: number
  /** Adds a side branch, an invalid block and a header-only block to the tree. */
  forks?: boolean
}

export class DashboardFakeNode extends FakeNode {
  private readonly extraTree: TreeNodeView[] = []
  readonly proven: WalletTxView[] = []
  private seq = 0
  private timer: NodeJS.Timeout | undefined
  private nowSeconds: number
  mempoolTxs: TxView[] = []
  minedBy = 0

  constructor (opts: DashboardFakeOptions = {}) {
    super({ role: opts.role ?? 'miner', height: 0 })
    const height = opts.height ?? 30
    this.chain.length = 0
    this.nowSeconds = BASE_TIME
    for (let h = 0; h <= height; h++) this.chain.push(this.makeBlock(h, h === 0 ? [] : this.payments(h % 4)))
    this.pool.length = 0
    this.mempoolTxs = [this.payment(), this.payment()]
    this.pool.push(...this.mempoolTxs)
    if (opts.forks !== false && height >= 8) this.addForks()
    if (this.role === 'spv') this.proveSome()
  }

  private payment (): TxView {
    const n = ++this.seq
    const amount = String(100_000_000n * BigInt(n % 7 + 1) + 12_345n)
    return {
      txid: sha(`tx ${n}`),
      size: 225 + (n % 3) * 34,
      coinbase: false,
      inputs: [{ prevTxid: sha(`prev ${n}`), prevIndex: n % 2, address: fakeAddress(1), amount: String(BigInt(amount) + 10_000n) }],
      outputs: [{ address: fakeAddress(3 + (n % 5)), amount }],
      fee: '10000',
      lockTime: 0,
      confirmations: 0,
      receivedAt: Date.now() - (n % 5) * 7000
    }
  }

  private payments (k: number): TxView[] {
    return Array.from({ length: k }, () => this.payment())
  }

  private makeBlock (height: number, txs: TxView[]): BlockView {
    const coinbase: TxView = {
      txid: sha(`coinbase ${height} ${this.seq}`),
      size: 120,
      coinbase: true,
      inputs: [],
      outputs: [{ address: fakeAddress(2), amount: String(5_000_000_000n + BigInt(txs.length) * 10_000n) }],
      lockTime: 0,
      confirmations: 1
    }
    const all = [coinbase, ...txs]
    const root = toHex(merkleRoot(all.map(t => fromHex(t.txid, 'txid'))))
    const hash = blockHashOf(`block ${height} ${root}`)
    const prev = height === 0 ? '0'.repeat(64) : this.chain[height - 1].hash
    // intervals scattered around the 5 s target; one slow block
    this.nowSeconds += height === 0 ? 0 : height % 11 === 0 ? 19 : 2 + ((height * 7) % 7)
    const bits = height < 20 ? '1e03ffff' : '1e02bfff'
    const block: BlockView = {
      hash,
      height,
      version: 1,
      prevHash: prev,
      merkleRoot: root,
      time: this.nowSeconds,
      bits,
      nonce: (height * 7919) % 4_000_000,
      work: String((height + 1) * 4_194_320),
      confirmations: 1,
      active: true,
      size: 80 + all.reduce((s, t) => s + t.size, 0),
      txCount: all.length,
      transactions: all.map((t, i) => ({ ...t, block: { hash, height, index: i }, confirmations: 1, receivedAt: undefined }))
    }
    return block
  }

  private refreshConfirmations (): void {
    const tip = this.tip.height
    for (const b of this.chain) {
      b.confirmations = tip - b.height + 1
      for (const t of b.transactions ?? []) t.confirmations = b.confirmations
    }
    for (const p of this.proven) {
      if (p.height !== undefined) p.confirmations = tip - p.height + 1
    }
  }

  private addForks (): void {
    const tip = this.tip.height
    const forkAt = this.chain[tip - 6]
    let prev = forkAt.hash
    for (let i = 1; i <= 2; i++) {
      const hash = blockHashOf(`side ${i}`)
      this.extraTree.push({ hash, prevHash: prev, height: forkAt.height + i, time: forkAt.time + i * 5, active: false, invalid: false, hasData: true })
      prev = hash
    }
    const base = this.chain[tip - 3]
    this.extraTree.push({ hash: blockHashOf('invalid'), prevHash: base.hash, height: base.height + 1, time: base.time + 3, active: false, invalid: true, hasData: true })
    const near = this.chain[tip - 1]
    this.extraTree.push({ hash: blockHashOf('headers only'), prevHash: near.hash, height: near.height + 1, time: near.time + 2, active: false, invalid: false, hasData: false })
  }

  /** SPV: payments to the wallet proven in some blocks, with real branches. */
  private proveSome (): void {
    for (const b of this.chain) {
      const txs = b.transactions ?? []
      if (txs.length < 2 || this.proven.length >= 3) continue
      const index = txs.length - 1
      const leaves = txs.map(t => fromHex(t.txid, 'txid'))
      this.proven.unshift({
        txid: txs[index].txid,
        delta: txs[index].outputs[0].amount,
        height: b.height,
        confirmations: this.tip.height - b.height + 1,
        time: b.time,
        proof: { blockHash: b.hash, index, branch: merkleBranch(leaves, index).map(toHex), merkleRoot: b.merkleRoot }
      })
    }
  }

  override status (): StatusView {
    const s = super.status()
    s.peers = PEERS.length - (this.role === 'miner' ? 1 : 0)
    s.difficulty = 4_194_320
    s.mempool = this.pool.length
    if (s.mining !== undefined) s.mining = { ...s.mining, hashRate: 1_774_455, blocksMined: this.minedBy + 25 }
    return s
  }

  override peers (): PeerView[] {
    return PEERS.filter(p => p.role !== this.role || this.role === 'full').slice(0, 3).map((p, i) => ({
      peerId: p.peerId,
      addresses: [`/ip4/127.0.0.1/tcp/${4002 + i}/p2p/${p.peerId}`],
      direction: i === 0 ? 'outbound' : 'inbound',
      score: 1.2 - i * 0.4,
      height: this.tip.height,
      connectedAt: Date.now() - 120_000 * (i + 1),
      role: p.role,
      ...(i === 0 ? { links: [PEERS[1].peerId] } : {})
    }) as PeerView)
  }

  override blockTree (depth: number): TreeNodeView[] {
    super.blockTree(depth)
    const min = Math.max(0, this.tip.height - depth)
    const active = this.chain.filter(b => b.height >= min).map(b => ({ hash: b.hash, prevHash: b.prevHash, height: b.height, time: b.time, active: true, invalid: false, hasData: this.role !== 'spv' }))
    return [...active, ...this.extraTree.filter(n => n.height >= min)].sort((a, b) => a.height - b.height)
  }

  override blocks (from: number | undefined, limit: number): BlockView[] {
    const out = super.blocks(from, limit)
    if (this.role !== 'spv') return out.map(b => ({ ...b, transactions: undefined }))
    return out.map(b => ({ ...b, transactions: undefined, size: 0, txCount: 0 }))
  }

  override block (id: string): BlockView | undefined {
    const b = super.block(id)
    if (b === undefined || this.role !== 'spv') return b
    return { ...b, transactions: undefined, size: 0, txCount: 0 }
  }

  override search (query: string): { kind: 'block' | 'tx' | 'address', id: string } | undefined {
    const found = super.search(query)
    if (found !== undefined) return found
    const q = query.trim().toLowerCase()
    if (this.tx(q) !== undefined) return { kind: 'tx', id: q }
    return undefined
  }

  override async wallet (): Promise<WalletView> {
    const w = await super.wallet()
    if (this.role === 'spv') {
      const confirmed = this.proven.reduce((s, p) => s + BigInt(p.delta), 0n)
      return { addresses: w.addresses, balance: { confirmed: confirmed.toString(), pending: '0', immature: '0' }, transactions: [...this.proven] }
    }
    return w
  }

  override async send (to: string, amount: bigint, fee?: bigint): Promise<SendResult> {
    await super.send(to, amount, fee)
    const tx = { ...this.payment(), receivedAt: Date.now(), outputs: [{ address: to, amount: amount.toString() }], fee: (fee ?? 10_000n).toString() }
    this.pool.push(tx)
    this.events.emit('tx', tx)
    return { txid: tx.txid, fee: tx.fee }
  }

  /** A new mempool transaction, with its event. */
  addMempoolTx (): TxView {
    const tx = { ...this.payment(), receivedAt: Date.now() }
    this.pool.push(tx)
    this.events.emit('tx', tx)
    return tx
  }

  /** Mines the mempool into a new block, with the events of a real node. */
  mine (): BlockView {
    const txs = this.pool.splice(0)
    const block = this.makeBlock(this.tip.height + 1, txs)
    this.chain.push(block)
    this.minedBy++
    this.refreshConfirmations()
    for (const t of txs) this.events.emit('txRemoved', t.txid, 'included in a block')
    const { transactions: _t, size: _s, txCount: _c, ...header } = block
    this.events.emit('block', { ...block, transactions: undefined })
    this.events.emit('tip', header)
    return block
  }

  /** Mines every `blockMs` and adds a mempool transaction every `txMs`. */
  startTicker (blockMs = 5000, txMs = 2200): void {
    this.stopTicker()
    let ticks = 0
    const step = Math.min(blockMs, txMs)
    this.timer = setInterval(() => {
      ticks++
      if ((ticks * step) % txMs < step) this.addMempoolTx()
      if ((ticks * step) % blockMs < step) this.mine()
    }, step)
    this.timer.unref()
  }

  stopTicker (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  get selfPeerId (): string {
    return FAKE_PEER_ID
  }
}

export interface FakeDashboardServer {
  node: DashboardFakeNode
  server: ApiServer
  url: string
  token: string
  close: () => Promise<void>
}

/** The real API server (with the real dashboard files) over a fake node. */
export async function startFakeDashboard (opts: DashboardFakeOptions & { port?: number } = {}): Promise<FakeDashboardServer> {
  const node = new DashboardFakeNode(opts)
  const dir = await mkdtemp(join(tmpdir(), 'minicoin-dashboard-'))
  const server = await startApiServer({
    node,
    host: '127.0.0.1',
    port: opts.port ?? 0,
    cookieFile: join(dir, '.cookie'),
    webDir: WEB_DIR,
    log: createLogger({ level: 'warn' }),
    heartbeatMs: 5000
  })
  return {
    node,
    server,
    url: server.url,
    token: server.token,
    close: async () => {
      node.stopTicker()
      await server.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
}
