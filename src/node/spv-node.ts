// The SPV role: a header chain it validates itself, Merkle proofs for its own
// wallet's transactions from full nodes, and a wallet that counts only what
// those proofs show. It stores no blocks and no UTXO set, so it cannot check
// other people's transactions: it relays nothing but its own.
import { EventEmitter } from 'node:events'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fromHex, toHex } from '../core/bytes.js'
import { decodeTx } from '../core/encoding.js'
import { isValidationError } from '../core/errors.js'
import { getNetwork, type NetworkParams } from '../core/params.js'
import { isCoinbase, txid } from '../core/tx.js'
import type { Transaction } from '../core/types.js'
import { checkTransaction } from '../core/validate.js'
import { inputSignatureChecks } from '../core/signatures.js'
import { verifyDigest } from '../crypto/keys.js'
import { GossipService } from '../p2p/gossip.js'
import { P2PHost } from '../p2p/host.js'
import { loadOrCreatePeerKey } from '../p2p/identity.js'
import { limitsFor, protocolsFor, topicsFor } from '../p2p/protocols.js'
import { PeerReputation } from '../p2p/reputation.js'
import { HeaderChain, type IndexEntry } from '../spv/header-chain.js'
import { LightClient } from '../spv/light-client.js'
import { pendingFile } from '../spv/pending-file.js'
import { ProofStore } from '../spv/proof-store.js'
import type { VerifiedProof } from '../spv/proof-verifier.js'
import { ProvenTransactions } from '../spv/proven-txs.js'
import { PendingStorageError, SpvWallet, type WalletHistoryEntry } from '../spv/spv-wallet.js'
import { AddressError, decodeAddress } from '../wallet/address.js'
import { BuildError } from '../wallet/builder.js'
import type { NodeConfig } from './config.js'
import { defaultConfirmations } from '../wallet/confirmations.js'
import { DemoPayments, userAgentFor } from './demo.js'
import type { Logger } from '../telemetry/logger.js'
import { NodeMetrics } from '../telemetry/metrics.js'
import { openNodeWallet } from './open-wallet.js'
import { reportPeerEvents } from './peer-events.js'
import {
  ApiError, type AddressHistoryPage, type BlockTxPage, type BlockView, type HeaderView, type NodeApi, type NodeEvents, type PeerView, type Role, type SendOptions, type StatusView,
  type TreeNodeView, type TxView, type WalletTxView, type WalletView
} from './node-api.js'
import { PeerDirectory } from './peer-directory.js'
import { decodeHistoryCursor, encodeHistoryCursor } from './chain-explorer.js'
import { FatalSignal } from './fatal.js'
import { difficultyOf, headerView, treeNodeView, txView, type SpentOutputLookup } from './views.js'

interface SpvNodeParts {
  config: NodeConfig
  log: Logger
  params: NetworkParams
  metrics: NodeMetrics
  reputation: PeerReputation
  headers: HeaderChain
  host: P2PHost
  gossip: GossipService
  proven: ProvenTransactions
  wallet: SpvWallet
  proofStore: ProofStore
  fatal: FatalSignal
}

const HEX64 = /^[0-9a-fA-F]{64}$/

export class SpvNode implements NodeApi {
  readonly role: Role = 'spv'
  readonly params: NetworkParams
  readonly metrics: NodeMetrics
  readonly events = new EventEmitter<NodeEvents>()
  readonly reputation: PeerReputation
  readonly headers: HeaderChain
  readonly host: P2PHost
  readonly gossip: GossipService
  readonly proven: ProvenTransactions
  readonly lightWallet: SpvWallet
  readonly client: LightClient
  private readonly peerDirectory: PeerDirectory
  private readonly config: NodeConfig
  private readonly log: Logger
  private readonly proofStore: ProofStore
  private readonly startedAt = Date.now()
  private demo: DemoPayments | undefined
  private stopped = false
  /** Resolves on a storage failure (header database, pending file): the daemon stops the node. */
  readonly fatal: FatalSignal

  private constructor (parts: SpvNodeParts) {
    this.fatal = parts.fatal
    this.fatal.onFatal(() => this.demo?.stop())
    this.config = parts.config
    this.log = parts.log
    this.params = parts.params
    this.metrics = parts.metrics
    this.reputation = parts.reputation
    this.headers = parts.headers
    this.host = parts.host
    this.gossip = parts.gossip
    this.proven = parts.proven
    this.lightWallet = parts.wallet
    this.proofStore = parts.proofStore
    const limits = limitsFor(parts.params)
    this.client = new LightClient({
      host: parts.host,
      gossip: parts.gossip,
      headers: parts.headers,
      proven: parts.proven,
      params: parts.params,
      protocols: protocolsFor(parts.params.id),
      limits,
      reputation: parts.reputation,
      metrics: parts.metrics,
      log: parts.log.child('light'),
      // change addresses and the gap-limit window too: a restored wallet finds its change
      addresses: () => parts.wallet.watchedHashes()
    })
    this.peerDirectory = new PeerDirectory(parts.host, parts.gossip, parts.reputation)
  }

  static async start (config: NodeConfig, log: Logger): Promise<SpvNode> {
    const params = getNetwork(config.network)
    mkdirSync(config.dataDir, { recursive: true })
    const metrics = new NodeMetrics()
    const closers: Array<() => Promise<void>> = []
    const fatal = new FatalSignal(log)
    try {
      const headers = await HeaderChain.open({ location: join(config.dataDir, 'headers'), params, log: log.child('headers') })
      closers.push(async () => await headers.close())
      headers.on('storageError', fatal.report)
      log.info('header chain opened', { network: params.id, height: headers.height, tip: headers.tip.hashHex })
      const keys = await openNodeWallet(config, params, log)
      const reputation = new PeerReputation({ metrics, log: log.child('peers'), trustedAddresses: config.p2p.trustedAddresses })
      const topics = topicsFor(params.id)
      const limits = limitsFor(params)
      const host = await P2PHost.create({
        privateKey: await loadOrCreatePeerKey(config.dataDir),
        listenHost: config.p2p.host,
        listenPort: config.p2p.port,
        bootstrap: config.p2p.bootstrap,
        mdns: config.p2p.mdns,
        maxPeers: config.p2p.maxPeers,
        topics,
        maxMessageBytes: limits.gossipFrameBytes,
        reputation,
        userAgent: userAgentFor('spv', config.demo.enabled ? keys.primaryAddress().address : undefined),
        metricsRegistry: metrics.registry,
        log: log.child('p2p')
      })
      closers.push(async () => await host.stop())
      const gossip = new GossipService({ node: host.node, topics, reputation, metrics, log: log.child('gossip') })
      // verified proofs of earlier runs, each checked again against the header chain
      const proofStore = await ProofStore.open(join(config.dataDir, 'proofs'), params.maxTxSize + 64 * 1024)
      closers.push(async () => await proofStore.close())
      const proven = await ProvenTransactions.open(headers, params, proofStore)
      let client: LightClient | undefined
      const wallet = new SpvWallet({
        wallet: keys,
        proven,
        headers,
        params,
        publish: bytes => gossip.publish('tx', bytes),
        persistence: pendingFile(join(config.dataDir, 'pending-txs.json'), params, { onFailure: fatal.report }),
        confirmations: config.wallet.confirmations ?? defaultConfirmations(config.network),
        witnessesWanted: () => client?.witnessesWanted() ?? 1,
        historyComplete: () => client !== undefined && client.historyCompleteThrough() >= headers.height,
        onStorageFailure: fatal.report
      })
      const node = new SpvNode({ config, log, params, metrics, reputation, headers, host, gossip, proven, wallet, proofStore, fatal })
      client = node.client
      await node.startServices()
      return node
    } catch (err) {
      for (const close of closers.reverse()) await close().catch(() => {})
      throw err
    }
  }

  private async startServices (): Promise<void> {
    this.wireEvents()
    await this.host.start()
    // the light node subscribes to headers only; it publishes its own transactions to the tx topic
    await this.client.start()
    this.gossip.start()
    // payments published before a restart and not proven yet: announce them again (queued until a peer listens)
    this.lightWallet.republish()
    this.log.info('p2p started', { peerId: this.host.peerId, listen: this.host.listenAddresses() })
    if (this.config.demo.enabled) {
      this.demo = new DemoPayments({
        intervalMs: this.config.demo.intervalSeconds * 1000,
        amount: BigInt(this.config.demo.amount),
        payees: () => this.peerDirectory.demoPayees(),
        send: async (to, amount) => await this.send(to, amount),
        log: this.log.child('demo')
      })
      this.demo.start()
    }
  }

  private wireEvents (): void {
    const { headers, metrics, events, proven, lightWallet: wallet } = this
    headers.on('tip', (tip, previous) => {
      metrics.chainHeight.set(tip.height)
      metrics.difficulty.set(difficultyOf(tip.header.bits))
      // header-only 'block' events for what joined the active chain (the newest few after a long sync)
      const joined: IndexEntry[] = []
      const fork = headers.index.forkPoint(previous, tip)
      for (let e: IndexEntry | undefined = tip; e !== undefined && e !== fork && joined.length < 20; e = e.parent) joined.push(e)
      for (const e of joined.reverse()) events.emit('block', this.blockViewOf(e))
      events.emit('tip', this.headerViewOf(tip))
      // a peer may have missed our transaction; a new block is a natural moment to repeat it
      wallet.republish()
    })
    proven.on('added', proof => events.emit('proof', this.walletTxView(wallet.entryOf(proof))))
    wallet.on('published', p => events.emit('tx', this.txViewOf(p.tx, undefined, p.publishedAt)))
    wallet.on('settled', (p, reason) => { if (reason !== 'proven') events.emit('txRemoved', p.txidHex, reason) })
    wallet.on('addresses', () => this.client.scheduleRefresh())
    reportPeerEvents(this.host, metrics, events)
    metrics.chainHeight.set(headers.height)
    metrics.difficulty.set(difficultyOf(headers.tip.header.bits))
    metrics.mempoolTransactions.set(0)
  }

  get peerId (): string {
    return this.host.peerId
  }

  get listen (): string[] {
    return this.host.listenAddresses()
  }

  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.demo?.stop()
    this.gossip.stop()
    await this.client.stop()
    await this.host.stop()
    await this.proven.flush()
    await this.proofStore.close()
    await this.headers.close()
    this.log.info('stopped')
  }

  // ---- views -------------------------------------------------------------------

  private headerViewOf (e: IndexEntry): HeaderView {
    return headerView(e, this.headers.height, this.headers.isActive(e))
  }

  /** An SPV node has headers only: size and transaction count of the block are unknown (0). */
  private blockViewOf (e: IndexEntry): BlockView {
    return { ...this.headerViewOf(e), size: 0, txCount: 0 }
  }

  private spentLookup (): SpentOutputLookup {
    return (prev, index) => this.lightWallet.outputAt(`${toHex(prev)}:${index}`)
  }

  private txViewOf (tx: Transaction, proof: VerifiedProof | undefined, publishedAt?: number): TxView {
    return txView(tx, {
      params: this.params,
      tipHeight: this.headers.height,
      ...(proof !== undefined ? { block: { hash: proof.entry.hashHex, height: proof.entry.height, index: proof.index } } : {}),
      ...(publishedAt !== undefined ? { receivedAt: publishedAt } : {}),
      spent: this.spentLookup()
    })
  }

  private walletTxView (h: WalletHistoryEntry): WalletTxView {
    const view: WalletTxView = { txid: h.txid, delta: h.delta.toString(), confirmations: 0 }
    if (h.proof !== undefined) {
      const e = h.proof.entry
      view.height = e.height
      view.confirmations = this.headers.confirmations(e)
      view.time = e.header.time
      view.proof = { blockHash: e.hashHex, index: h.proof.index, branch: h.proof.branch.map(toHex), merkleRoot: toHex(e.header.merkleRoot) }
    } else if (h.publishedAt !== undefined) {
      view.time = Math.floor(h.publishedAt / 1000)
    }
    return view
  }

  private entryFor (hashOrHeight: string): IndexEntry | undefined {
    if (/^\d{1,10}$/.test(hashOrHeight)) return this.headers.entryAt(Number(hashOrHeight))
    if (HEX64.test(hashOrHeight)) return this.headers.get(hashOrHeight.toLowerCase())
    return undefined
  }

  // ---- NodeApi -------------------------------------------------------------------

  status (): StatusView {
    const tip = this.headers.tip
    let best = tip.height
    for (const h of this.client.peerHeights.values()) if (h > best) best = h
    return {
      role: 'spv',
      network: this.params.id,
      peerId: this.host.peerId,
      listen: this.host.listenAddresses().map(a => a.includes('/p2p/') ? a : `${a}/p2p/${this.host.peerId}`),
      height: tip.height,
      tip: tip.hashHex,
      peers: this.host.node.getPeers().length,
      // a light node keeps no mempool; its own pending transactions are in mempool() and the wallet
      mempool: 0,
      syncing: this.client.syncing,
      bestHeaderHeight: best,
      difficulty: difficultyOf(tip.header.bits),
      startedAt: this.startedAt
    }
  }

  headerList (from: number | undefined, limit: number): HeaderView[] {
    const top = Math.min(from ?? this.headers.height, this.headers.height)
    const out: HeaderView[] = []
    for (let h = top; h >= 0 && out.length < limit; h--) {
      const e = this.headers.entryAt(h)
      if (e !== undefined) out.push(this.headerViewOf(e))
    }
    return out
  }

  blocks (from: number | undefined, limit: number): BlockView[] {
    const top = Math.min(from ?? this.headers.height, this.headers.height)
    const out: BlockView[] = []
    for (let h = top; h >= 0 && out.length < limit; h--) {
      const e = this.headers.entryAt(h)
      if (e !== undefined) out.push(this.blockViewOf(e))
    }
    return out
  }

  block (hashOrHeight: string): BlockView | undefined {
    const e = this.entryFor(hashOrHeight)
    return e === undefined ? undefined : this.blockViewOf(e)
  }

  blockTxs (hashOrHeight: string): BlockTxPage | undefined {
    if (this.entryFor(hashOrHeight) === undefined) return undefined
    throw new ApiError(404, 'no-block-data', 'an SPV node keeps block headers only, not their transactions')
  }

  /** Only the wallet's own transactions: proven ones and its pending ones. */
  tx (id: string): TxView | undefined {
    if (!HEX64.test(id)) return undefined
    const hex = id.toLowerCase()
    const proof = this.proven.get(hex)
    if (proof !== undefined && this.headers.isActive(proof.entry)) return this.txViewOf(proof.tx, proof)
    const pending = this.lightWallet.getPending(hex)
    return pending === undefined ? undefined : this.txViewOf(pending.tx, undefined, pending.publishedAt)
  }

  mempool (): TxView[] {
    return this.lightWallet.pendingTxs().map(p => this.txViewOf(p.tx, undefined, p.publishedAt))
  }

  peers (): PeerView[] {
    return this.peerDirectory.views().map(v => {
      const height = this.client.peerHeights.get(v.peerId)
      return height === undefined ? v : { ...v, height }
    })
  }

  blockTree (depth: number): TreeNodeView[] {
    const minHeight = Math.max(0, this.headers.height - depth)
    const out: TreeNodeView[] = []
    for (const e of this.headers.entries()) if (e.height >= minHeight) out.push(treeNodeView(e, this.headers.isActive(e)))
    return out.sort((a, b) => a.height - b.height)
  }

  async wallet (): Promise<WalletView> {
    const b = this.lightWallet.balance()
    return {
      addresses: this.lightWallet.addresses(),
      balance: { confirmed: b.confirmed.toString(), pending: b.pending.toString(), immature: b.immature.toString() },
      transactions: this.lightWallet.history().slice(0, 100).map(h => this.walletTxView(h))
    }
  }

  async newAddress (): Promise<string> {
    const address = await this.lightWallet.newAddress()
    this.client.scheduleRefresh()
    return address
  }

  async send (to: string, amount: bigint, fee?: bigint, options: SendOptions = {}): Promise<{ txid: string }> {
    try {
      decodeAddress(to, this.params)
      const built = await this.lightWallet.send(to, amount, fee, options)
      this.log.info('payment published', { to, amount, fee: built.fee, txid: toHex(built.txid) })
      return { txid: toHex(built.txid) }
    } catch (err) {
      if (err instanceof AddressError) throw new ApiError(400, 'bad-address', err.message)
      if (err instanceof BuildError) throw new ApiError(400, err.code, err.message)
      // nothing was published or kept: the user may retry once the disk is fixed
      if (err instanceof PendingStorageError) throw new ApiError(503, 'wallet-storage', `payment not sent: ${err.message}`)
      throw err
    }
  }

  /**
   * A transaction signed elsewhere. A light node has no UTXO set, so it can
   * only run the checks that need none: canonical encoding, the stateless
   * rules, and each signature against the public key its input carries. It
   * cannot tell whether the inputs exist, are unspent, or belong to those
   * keys; the full nodes that receive it decide that, and a transaction they
   * refuse simply never gets proven.
   */
  async submitTx (bytes: Uint8Array): Promise<{ txid: string }> {
    let tx: Transaction
    try {
      tx = decodeTx(bytes, this.params.maxTxSize)
      checkTransaction(tx, this.params)
    } catch (err) {
      if (isValidationError(err)) throw new ApiError(400, err.code, err.message)
      throw err
    }
    if (isCoinbase(tx)) throw new ApiError(400, 'tx-coinbase', 'a coinbase is only valid inside a block')
    if (!inputSignatureChecks(tx, this.params.id).every(c => verifyDigest(c.signature, c.digest, c.publicKey))) {
      throw new ApiError(400, 'tx-bad-signature', 'an input signature does not verify against its public key')
    }
    const id = toHex(txid(tx))
    if (this.proven.has(id)) throw new ApiError(409, 'txn-already-known', `transaction ${id} is already confirmed`)
    try {
      this.lightWallet.publish(tx)
    } catch (err) {
      if (err instanceof PendingStorageError) throw new ApiError(503, 'wallet-storage', `transaction not sent: ${err.message}`)
      throw err
    }
    return { txid: id }
  }

  setMining (): void {
    throw new ApiError(400, 'not-a-miner', 'an spv node does not mine')
  }

  search (query: string): { kind: 'block' | 'tx' | 'address', id: string } | undefined {
    const q = query.trim()
    if (/^\d{1,10}$/.test(q)) return this.headers.entryAt(Number(q)) !== undefined ? { kind: 'block', id: q } : undefined
    if (HEX64.test(q)) {
      const hex = q.toLowerCase()
      if (this.headers.get(hex) !== undefined) return { kind: 'block', id: hex }
      if (this.tx(hex) !== undefined) return { kind: 'tx', id: hex }
      return undefined
    }
    try {
      // only our own addresses: we have no history of anyone else's
      return this.lightWallet.isMine(decodeAddress(q, this.params)) ? { kind: 'address', id: q } : undefined
    } catch {
      return undefined
    }
  }

  async addressHistory (address: string, cursor: string | undefined, limit: number): Promise<AddressHistoryPage> {
    let hash: Uint8Array
    try {
      hash = decodeAddress(address, this.params)
    } catch (err) {
      throw new ApiError(400, 'bad-address', (err as Error).message)
    }
    if (!this.lightWallet.isMine(hash)) throw new ApiError(404, 'not-own-address', 'an SPV node knows the history of its own wallet addresses only')
    // The wallet's own history is in memory: page it newest first by (height, txid), pending first.
    const key = (height: number | undefined, id: string): string => `${(height ?? 0xffffffff).toString(16).padStart(8, '0')}${id}`
    const all = this.lightWallet.history(hash).map(h => this.walletTxView(h)).sort((a, b) => key(b.height, b.txid).localeCompare(key(a.height, a.txid)))
    const before = cursor === undefined ? undefined : decodeHistoryCursor(cursor)
    const rest = before === undefined ? all : all.filter(t => key(t.height, t.txid) < key(before.height, toHex(before.txid)))
    const page: AddressHistoryPage = { address, transactions: rest.slice(0, limit) }
    const last = page.transactions.at(-1)
    if (rest.length > limit && last !== undefined) page.next = encodeHistoryCursor(last.height ?? 0xffffffff, fromHex(last.txid, 'txid'))
    return page
  }

  /** Proves one of the wallet's transactions now (instead of waiting for the next refresh). */
  async proveTx (txidHex: string): Promise<VerifiedProof | undefined> {
    return await this.client.proveTx(fromHex(txidHex, 'txid'))
  }
}
