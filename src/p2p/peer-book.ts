// The address book: libp2p's peer store, kept in the data dir (a LevelDB
// datastore, like Bitcoin Core's peers.dat) so a restarted node finds the
// peers it knew even with an empty bootstrap list. Peers we chose (bootstrap
// peers and peers we dialled) carry a KEEP_ALIVE tag, so libp2p's reconnect
// queue re-dials them when they drop and its start-up re-dials them after a
// restart. The book is bounded: past `maxKnown` the peers least recently
// dialled with success go first (bootstrap peers never); banned peers are
// deleted, so they are never candidates again.
import { KEEP_ALIVE, type Peer, type PeerId, type PeerStore } from '@libp2p/interface'
import { LevelDatastore } from 'datastore-level'
import { mkdirSync } from 'node:fs'
import type { Logger } from '../telemetry/logger.js'

/** Tag names; KEEP_ALIVE-prefixed tags make libp2p re-dial the peer when it drops. */
export const TAG_BOOTSTRAP = `${KEEP_ALIVE}-minicoin-bootstrap`
export const TAG_CHOSEN = `${KEEP_ALIVE}-minicoin-outbound`
/** Addresses learnt from other peers (peer exchange): candidates, not yet proven. */
export const TAG_HEARD = 'minicoin-heard'

/** How long an address or a peer is kept without news of it (Core's addrman: 30 days). */
export const BOOK_MAX_AGE_MS = 30 * 24 * 3600_000

/** libp2p's peer store writes this when a dial succeeds (connection-manager/constants). */
const LAST_DIAL_SUCCESS_KEY = 'last-dial-success'

/**
 * Opens the LevelDB datastore of the address book under `dir`. libp2p does
 * not open or close a datastore it is given: the caller closes it after
 * the node stops, or the next open fails on LevelDB's lock.
 */
export async function openPeerDatastore (dir: string): Promise<LevelDatastore> {
  mkdirSync(dir, { recursive: true })
  const ds = new LevelDatastore(dir)
  try {
    await ds.open()
  } catch (err) {
    throw new Error(`cannot open the address book in ${dir}: ${(err as Error).message} (is another node using this data dir?)`)
  }
  return ds
}

function lastSuccess (peer: Peer): number {
  const v = peer.metadata.get(LAST_DIAL_SUCCESS_KEY)
  if (v === undefined) return 0
  const n = Number(new TextDecoder().decode(v))
  return Number.isFinite(n) ? n : 0
}

export function hasTag (peer: Peer, prefix: string): boolean {
  for (const k of peer.tags.keys()) if (k.startsWith(prefix)) return true
  return false
}

export interface PeerBookOptions {
  peerStore: PeerStore
  self: PeerId
  bootstrapIds: ReadonlySet<string>
  maxKnown: number
  isBanned: (peerId: string) => boolean
  log: Logger
}

export class PeerBook {
  private readonly opts: PeerBookOptions

  constructor (opts: PeerBookOptions) {
    this.opts = opts
  }

  /** Marks a connected peer as chosen by us: kept, re-dialled when it drops. */
  async tagChosen (peer: PeerId): Promise<void> {
    const bootstrap = this.opts.bootstrapIds.has(peer.toString())
    // the pruner (past maxConnections) closes the lowest-valued connections first
    const tag = bootstrap ? { [TAG_BOOTSTRAP]: { value: 100 } } : { [TAG_CHOSEN]: { value: 50 } }
    await this.opts.peerStore.merge(peer, { tags: { ...tag, [TAG_HEARD]: undefined } }).catch(() => {})
  }

  /** Drops a peer from the book (banned): no address of it is dialled again. */
  async forget (peer: PeerId): Promise<void> {
    if (peer.equals(this.opts.self)) return
    await this.opts.peerStore.delete(peer).catch(() => {})
  }

  /**
   * Peers with addresses, not banned, not ourselves: the ones worth dialling.
   * Chosen (KEEP_ALIVE) peers first, then the rest by last successful dial;
   * ties in random order (Core picks from addrman at random): the store
   * lists peers by id, so every host of a LAN would dial the same few first.
   */
  async candidates (random = Math.random): Promise<Peer[]> {
    const peers = await this.opts.peerStore.all()
    return shuffle(peers.filter(p => !p.id.equals(this.opts.self) && p.addresses.length > 0 && !this.opts.isBanned(p.id.toString())), random)
      .sort((a, b) => Number(hasTag(b, KEEP_ALIVE)) - Number(hasTag(a, KEEP_ALIVE)) || lastSuccess(b) - lastSuccess(a))
  }

  /** Deletes banned peers, then the least recently useful peers past `maxKnown`. */
  async prune (connected: ReadonlySet<string>): Promise<number> {
    const peers = (await this.opts.peerStore.all()).filter(p => !p.id.equals(this.opts.self))
    const drop: Peer[] = peers.filter(p => this.opts.isBanned(p.id.toString()))
    const keep = peers
      .filter(p => !this.opts.isBanned(p.id.toString()))
      .sort((a, b) => rank(b) - rank(a) || lastSuccess(b) - lastSuccess(a))
    const protectedIds = (p: Peer): boolean => this.opts.bootstrapIds.has(p.id.toString()) || connected.has(p.id.toString())
    let over = keep.length - this.opts.maxKnown
    for (let i = keep.length - 1; i >= 0 && over > 0; i--) {
      if (protectedIds(keep[i])) continue
      drop.push(keep[i])
      over--
    }
    for (const p of drop) await this.forget(p.id)
    if (drop.length > 0) this.opts.log.debug('address book pruned', { dropped: drop.length, kept: peers.length - drop.length })
    return drop.length
  }
}

/** Peers we chose outrank peers merely heard of. */
function rank (p: Peer): number {
  return hasTag(p, KEEP_ALIVE) ? 2 : hasTag(p, TAG_HEARD) ? 0 : 1
}

/** Fisher-Yates, in place; the sort after it is stable, so equals stay shuffled. */
function shuffle<T> (items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = items[i]
    items[i] = items[j]
    items[j] = t
  }
  return items
}
