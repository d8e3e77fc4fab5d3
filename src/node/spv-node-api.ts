// What an SPV node answers through NodeApi: its header chain, and only its
// own wallet's transactions (proven by Merkle proofs, or pending). SpvNode
// (spv-node.ts) assembles the parts and runs their lifecycle.
import { fromHex, toHex } from '../core/bytes.js'
import { decodeTx } from '../core/encoding.js'
import { isValidationError } from '../core/errors.js'
import { isCoinbase, txid } from '../core/tx.js'
import type { Transaction } from '../core/types.js'
import { checkTransaction } from '../core/validate.js'
import { inputSignatureChecks } from '../core/signatures.js'
import { verifyDigest } from '../crypto/keys.js'
import { protocolsFor, limitsFor } from '../p2p/protocols.js'
import type { HeaderChain, IndexEntry } from '../spv/header-chain.js'
import { LightClient } from '../spv/light-client.js'
import type { VerifiedProof } from '../spv/proof-verifier.js'
import type { ProvenTransactions } from '../spv/proven-txs.js'
import { PendingStorageError, type SpvWallet, type WalletHistoryEntry } from '../spv/spv-wallet.js'
import { decodeHistoryCursor, encodeHistoryCursor } from './explorer-paging.js'
import { NodeError } from './errors.js'
import type {
  AddressHistoryPage, BlockTxPage, BlockView, HeaderView, NodeApi, PeerView, Role, SendOptions, SendResult, StatusView, TxView, WalletTxView, WalletView
} from './node-api.js'
import { PeerDirectory } from './peer-directory.js'
import { NetworkWatch } from './network-watch.js'
import { balanceView, entryByHashOrHeight, HEX64, parseAddress, sendRefusal, statusBase } from './read-helpers.js'
import { RoleBase, type RoleBaseParts, type SpvRoleParts } from './role-base.js'
import { headerView, txView, type SpentOutputLookup } from './views.js'

export interface SpvNodeApiParts extends RoleBaseParts {
  headers: HeaderChain
  proven: ProvenTransactions
  wallet: SpvWallet
}

export class SpvNodeApi extends RoleBase implements NodeApi {
  readonly role: Role = 'spv'
  readonly headers: HeaderChain
  readonly proven: ProvenTransactions
  readonly lightWallet: SpvWallet
  readonly client: LightClient
  readonly peerDirectory: PeerDirectory
  readonly watch: NetworkWatch
  protected readonly roleParts: SpvRoleParts

  protected constructor (parts: SpvNodeApiParts) {
    super(parts)
    this.headers = parts.headers
    this.proven = parts.proven
    this.lightWallet = parts.wallet
    this.client = new LightClient({
      host: parts.host,
      gossip: parts.gossip,
      headers: parts.headers,
      proven: parts.proven,
      params: parts.params,
      protocols: protocolsFor(parts.params.id),
      limits: limitsFor(parts.params),
      reputation: parts.reputation,
      metrics: parts.metrics,
      log: parts.log.child('light'),
      // change addresses and the gap-limit window too: a restored wallet finds its change
      addresses: () => parts.wallet.watchedHashes()
    })
    this.roleParts = { kind: 'spv', headers: this.headers, proven: this.proven, wallet: this.lightWallet, client: this.client }
    this.peerDirectory = new PeerDirectory(parts.host, parts.gossip, parts.reputation)
    this.watch = new NetworkWatch(hash => this.headers.get(hash) !== undefined)
    this.watch.attach(this.host.node, this.gossip.topics)
    this.headers.on('tip', tip => this.watch.noteLocal(tip.hashHex, 'connected'))
  }

  // ---- views -------------------------------------------------------------------

  protected headerViewOf (e: IndexEntry): HeaderView {
    return headerView(e, this.headers.height, this.headers.isActive(e))
  }

  /** An SPV node has headers only: size and transaction count of the block are unknown (0). */
  protected blockViewOf (e: IndexEntry): BlockView {
    return { ...this.headerViewOf(e), size: 0, txCount: 0 }
  }

  private spentLookup (): SpentOutputLookup {
    return (prev, index) => this.lightWallet.outputAt(`${toHex(prev)}:${index}`)
  }

  protected txViewOf (tx: Transaction, proof: VerifiedProof | undefined, publishedAt?: number): TxView {
    return txView(tx, {
      params: this.params,
      tipHeight: this.headers.height,
      ...(proof !== undefined ? { block: { hash: proof.entry.hashHex, height: proof.entry.height, index: proof.index } } : {}),
      ...(publishedAt !== undefined ? { receivedAt: publishedAt } : {}),
      spent: this.spentLookup()
    })
  }

  protected walletTxView (h: WalletHistoryEntry): WalletTxView {
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

  // ---- NodeApi -------------------------------------------------------------------

  status (): StatusView {
    const tip = this.headers.tip
    let best = tip.height
    for (const h of this.client.peerHeights.values()) if (h > best) best = h
    return {
      ...statusBase('spv', this.params, this.host, tip, this.startedAt),
      // a light node keeps no mempool; its own pending transactions are in mempool() and the wallet
      mempool: 0,
      syncing: this.client.syncing,
      bestHeaderHeight: best
    }
  }

  blocks (from: number | undefined, limit: number): BlockView[] {
    return this.activeEntries(from, limit).map(e => this.blockViewOf(e))
  }

  block (hashOrHeight: string): BlockView | undefined {
    const e = entryByHashOrHeight(hashOrHeight, this.headers)
    return e === undefined ? undefined : this.blockViewOf(e)
  }

  blockTxs (hashOrHeight: string): BlockTxPage | undefined {
    if (entryByHashOrHeight(hashOrHeight, this.headers) === undefined) return undefined
    throw new NodeError('not-found', 'no-block-data', 'an SPV node keeps block headers only, not their transactions')
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

  async wallet (): Promise<WalletView> {
    return {
      addresses: this.lightWallet.addresses(),
      balance: balanceView(this.lightWallet.balance()),
      transactions: this.lightWallet.history().slice(0, 100).map(h => this.walletTxView(h))
    }
  }

  async newAddress (): Promise<string> {
    const address = await this.lightWallet.newAddress()
    this.client.scheduleRefresh()
    return address
  }

  async send (to: string, amount: bigint, fee?: bigint, options: SendOptions = {}): Promise<SendResult> {
    try {
      parseAddress(to, this.params)
      const built = await this.lightWallet.send(to, amount, fee, options)
      this.log.info('payment published', { to, amount, fee: built.fee, txid: toHex(built.txid) })
      return { txid: toHex(built.txid), fee: built.fee.toString() }
    } catch (err) {
      // nothing was published or kept: the user may retry once the disk is fixed
      if (err instanceof PendingStorageError) throw new NodeError('unavailable', 'wallet-storage', `payment not sent: ${err.message}`)
      throw sendRefusal(err)
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
      if (isValidationError(err)) throw new NodeError('invalid', err.code, err.message)
      throw err
    }
    if (isCoinbase(tx)) throw new NodeError('invalid', 'tx-coinbase', 'a coinbase is only valid inside a block')
    if (!inputSignatureChecks(tx, this.params.id).every(c => verifyDigest(c.signature, c.digest, c.publicKey))) {
      throw new NodeError('invalid', 'tx-bad-signature', 'an input signature does not verify against its public key')
    }
    const id = toHex(txid(tx))
    if (this.proven.has(id)) throw new NodeError('conflict', 'txn-already-known', `transaction ${id} is already confirmed`)
    try {
      this.lightWallet.publish(tx)
    } catch (err) {
      if (err instanceof PendingStorageError) throw new NodeError('unavailable', 'wallet-storage', `transaction not sent: ${err.message}`)
      throw err
    }
    return { txid: id }
  }

  async addressHistory (address: string, cursor: string | undefined, limit: number): Promise<AddressHistoryPage> {
    const hash = parseAddress(address, this.params)
    if (!this.lightWallet.isMine(hash)) throw new NodeError('not-found', 'not-own-address', 'an SPV node knows the history of its own wallet addresses only')
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
