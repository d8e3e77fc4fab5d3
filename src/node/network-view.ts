// GET /api/network: the LAN as one node hears it. Every known node (the
// connected peers and those in the libp2p address book) with the role and
// chain it claims and how that chain relates to ours; for recent blocks,
// when each peer announced them relative to the first arrival; and the
// blocks off our active chain. Peers' statements are labelled as claims:
// nothing here is verified beyond what our own chain already holds.
import type { PeerStore } from '@libp2p/interface'
import type { HeaderTree } from '../chain/header-tree.js'
import { parseUserAgent } from './demo.js'
import type { NetworkWatch, PeerClaim } from './network-watch.js'
import type { BlockPropagationView, NetworkNodeView, NetworkView, PeerView, Role, TipAgreement, TreeNodeView } from './node-api.js'

/** At most this many nodes are listed (connected peers first). */
export const MAX_NETWORK_NODES = 100
/** Blocks of the propagation picture. */
export const PROPAGATION_BLOCKS = 12
/** Heights looked back for stale and side blocks, and how many of them are listed at most. */
export const STALE_WINDOW = 200
export const MAX_STALE = 200

const ROLES = new Set(['miner', 'full', 'spv'])

export interface ChainLookup {
  self: { peerId: string, role: Role, height: number, tip: string, work: bigint }
  /** A block we know: its height, cumulative work and whether it is on our active chain. */
  entry: (hash: string) => { height: number, time: number, active: boolean } | undefined
  /** Recent tree (side branches included) over the last `depth` heights. */
  tree: (depth: number) => TreeNodeView[]
}

/** The ChainLookup of a node's own chain (the full chain or the SPV header chain). */
export function chainLookupOf (tree: HeaderTree<any>, self: { peerId: string, role: Role }, blockTree: (depth: number) => TreeNodeView[]): ChainLookup {
  const tip = tree.tip
  return {
    self: { ...self, height: tip.height, tip: tip.hashHex, work: tip.work },
    entry: (hash) => {
      const e = tree.getEntry(hash)
      return e === undefined ? undefined : { height: e.height, time: e.header.time, active: tree.index.isActive(e) }
    },
    tree: blockTree
  }
}

export interface NetworkSources {
  chain: ChainLookup
  watch: NetworkWatch
  /** Connected peers as GET /api/peers shows them (role from identify). */
  peers: () => Array<PeerView & { role?: string }>
  peerStore: PeerStore
}

/** How a claimed chain relates to ours (see TipAgreement). */
export function agreementOf (claim: { height?: number, tip?: string, work?: bigint }, chain: ChainLookup): { agreement: TipAgreement, behindBy?: number } {
  const self = chain.self
  if (claim.tip !== undefined) {
    if (claim.tip === self.tip) return { agreement: 'same-tip' }
    const known = chain.entry(claim.tip)
    if (known !== undefined) {
      return known.active ? { agreement: 'behind', behindBy: self.height - known.height } : { agreement: 'forked' }
    }
    if (claim.work !== undefined && claim.work > self.work) return { agreement: 'ahead' }
    return { agreement: 'unknown' }
  }
  if (claim.height === undefined) return { agreement: 'unknown' }
  if (claim.height < self.height) return { agreement: 'behind', behindBy: self.height - claim.height }
  return { agreement: claim.height > self.height ? 'ahead' : 'unknown' }
}

function roleOf (role: string | undefined): Role | undefined {
  return role !== undefined && ROLES.has(role) ? role as Role : undefined
}

function nodeView (peerId: string, base: Omit<NetworkNodeView, 'peerId' | 'agreement'>, claim: PeerClaim | undefined, chain: ChainLookup): NetworkNodeView {
  const view: NetworkNodeView = { peerId, ...base, agreement: 'unknown' }
  if (claim !== undefined) {
    view.height = claim.height
    if (claim.tip !== undefined) view.tip = claim.tip
    if (claim.work !== undefined) view.work = claim.work.toString()
    view.heardAt = claim.heardAt
  }
  Object.assign(view, agreementOf({ height: view.height, tip: view.tip, work: claim?.work }, chain))
  return view
}

async function knownNodes (src: NetworkSources): Promise<NetworkNodeView[]> {
  const { chain, watch } = src
  const out = new Map<string, NetworkNodeView>()
  for (const p of src.peers()) {
    if (out.size >= MAX_NETWORK_NODES) break
    // a connected peer's live height (SPV nodes know only heights) when no status was kept
    const claim = watch.claim(p.peerId) ?? (p.height !== undefined ? { height: p.height, tip: p.tip, since: Date.now(), heardAt: Date.now() } : undefined)
    out.set(p.peerId, nodeView(p.peerId, { role: roleOf(p.role), connected: true, direction: p.direction, addresses: p.addresses }, claim, chain))
  }
  // the address book: peers this node knows how to reach, connected or not
  const stored = await src.peerStore.all().catch(() => [])
  for (const peer of stored) {
    if (out.size >= MAX_NETWORK_NODES) break
    const id = peer.id.toString()
    if (id === chain.self.peerId || out.has(id)) continue
    const agent = peer.metadata.get('AgentVersion')
    const role = roleOf(parseUserAgent(agent === undefined ? undefined : new TextDecoder().decode(agent)).role)
    out.set(id, nodeView(id, { role, connected: false, addresses: peer.addresses.map(a => a.multiaddr.toString()).slice(0, 8) }, watch.claim(id), chain))
  }
  // peers heard from but gone from the address book too
  for (const id of watch.claimants()) {
    if (out.size >= MAX_NETWORK_NODES) break
    if (!out.has(id)) out.set(id, nodeView(id, { connected: false, addresses: [] }, watch.claim(id), chain))
  }
  return [...out.values()]
}

function propagation (src: NetworkSources): BlockPropagationView[] {
  const out: BlockPropagationView[] = []
  for (const b of src.watch.recent()) {
    const entry = src.chain.entry(b.hash)
    if (entry === undefined) continue
    const times = [...b.peers.values()].map(p => p.at)
    if (b.local !== undefined) times.push(b.local.at)
    if (times.length === 0) continue
    const firstAt = Math.min(...times)
    const view: BlockPropagationView = {
      hash: b.hash,
      height: entry.height,
      time: entry.time,
      firstAt,
      active: entry.active,
      arrivals: [...b.peers].map(([peerId, a]) => ({ peerId, at: a.at, delayMs: a.at - firstAt, via: a.via })).sort((x, y) => x.at - y.at)
    }
    if (b.local !== undefined) view.local = b.local
    out.push(view)
  }
  return out.sort((a, b) => b.height - a.height || b.firstAt - a.firstAt).slice(0, PROPAGATION_BLOCKS)
}

export async function networkView (src: NetworkSources): Promise<NetworkView> {
  const self = src.chain.self
  const from = Math.max(0, self.height - STALE_WINDOW)
  // the newest MAX_STALE of them: side blocks cost proof of work, but the answer stays small anyway
  const stale = src.chain.tree(STALE_WINDOW).filter(n => !n.active).slice(-MAX_STALE).map(n => ({ hash: n.hash, height: n.height, time: n.time, invalid: n.invalid }))
  return {
    self: { peerId: self.peerId, role: self.role, height: self.height, tip: self.tip, work: self.work.toString() },
    nodes: await knownNodes(src),
    propagation: propagation(src),
    stale,
    staleWindow: { from, to: self.height },
    limits: { blocks: src.watch.limits.blocks, peersPerBlock: src.watch.limits.peersPerBlock, nodes: MAX_NETWORK_NODES }
  }
}
