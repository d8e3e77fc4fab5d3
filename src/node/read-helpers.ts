// Pieces both roles' read models share: parsing a block id, the search order,
// the status fields every role fills the same way, the wallet's balance view
// and the mapping of wallet refusals to NodeError.
import type { NetworkParams } from '../core/params.js'
import type { IndexEntry } from '../chain/block-index.js'
import type { P2PHost } from '../p2p/host.js'
import { AddressError, decodeAddress } from '../wallet/address.js'
import { BuildError } from '../wallet/builder.js'
import { NodeError } from './errors.js'
import type { Role, StatusView, TreeNodeView, WalletView } from './node-api.js'
import { difficultyOf, treeNodeView } from './views.js'

export const HEX64 = /^[0-9a-fA-F]{64}$/
const HEIGHT = /^\d{1,10}$/

interface EntryLookup<E> {
  entryAt: (height: number) => E | undefined
  get: (hashHex: string) => E | undefined
}

/** A block id of the API: a decimal height or a 64-digit hash. */
export function entryByHashOrHeight<E> (id: string, lookup: EntryLookup<E>): E | undefined {
  if (HEIGHT.test(id)) return lookup.entryAt(Number(id))
  if (HEX64.test(id)) return lookup.get(id.toLowerCase())
  return undefined
}

export interface SearchSources {
  hasHeight: (height: number) => boolean
  hasBlock: (hashHex: string) => boolean
  hasTx: (txidHex: string) => boolean
  /** Whether the role can show this address's history. */
  showsAddress: (hash: Uint8Array) => boolean
}

export type SearchHit = { kind: 'block' | 'tx' | 'address', id: string } | undefined

/** Height, then block hash, then txid, then address. */
export function searchQuery (query: string, params: NetworkParams, src: SearchSources): SearchHit {
  const q = query.trim()
  if (HEIGHT.test(q)) return src.hasHeight(Number(q)) ? { kind: 'block', id: q } : undefined
  if (HEX64.test(q)) {
    const hex = q.toLowerCase()
    if (src.hasBlock(hex)) return { kind: 'block', id: hex }
    if (src.hasTx(hex)) return { kind: 'tx', id: hex }
    return undefined
  }
  try {
    return src.showsAddress(decodeAddress(q, params)) ? { kind: 'address', id: q } : undefined
  } catch {
    return undefined
  }
}

interface StatusTip { height: number, hashHex: string, header: { bits: number } }

/** The status fields that come from the host and the tip; the role adds mempool, sync state and mining. */
export function statusBase (role: Role, params: NetworkParams, host: P2PHost, tip: StatusTip, startedAt: number): Omit<StatusView, 'mempool' | 'syncing' | 'bestHeaderHeight'> {
  return {
    role,
    network: params.id,
    peerId: host.peerId,
    listen: host.listenAddresses().map(a => a.includes('/p2p/') ? a : `${a}/p2p/${host.peerId}`),
    height: tip.height,
    tip: tip.hashHex,
    peers: host.node.getPeers().length,
    difficulty: difficultyOf(tip.header.bits),
    startedAt
  }
}

/** The block tree of the last `depth` heights, side branches included, oldest first. */
export function recentTree (entries: Iterable<IndexEntry>, height: number, depth: number, isActive: (e: IndexEntry) => boolean): TreeNodeView[] {
  const minHeight = Math.max(0, height - depth)
  const out: TreeNodeView[] = []
  for (const e of entries) if (e.height >= minHeight) out.push(treeNodeView(e, isActive(e)))
  return out.sort((a, b) => a.height - b.height)
}

export function balanceView (b: { confirmed: bigint, pending: bigint, immature: bigint }): WalletView['balance'] {
  return { confirmed: b.confirmed.toString(), pending: b.pending.toString(), immature: b.immature.toString() }
}

/** An address of this network, or NodeError bad-address. */
export function parseAddress (address: string, params: NetworkParams): Uint8Array {
  try {
    return decodeAddress(address, params)
  } catch (err) {
    throw new NodeError('invalid', 'bad-address', (err as Error).message)
  }
}

/** A wallet's refusal to build a payment as a NodeError; other errors unchanged. */
export function sendRefusal (err: unknown): unknown {
  if (err instanceof AddressError) return new NodeError('invalid', 'bad-address', err.message)
  if (err instanceof BuildError) return new NodeError('invalid', err.code, err.message)
  return err
}
