// What each kind of peer misbehaviour costs, in one table (Lodestar's
// PeerAction, Bitcoin Core's Misbehaving() amounts). A peer's score starts
// at 0, penalties subtract, scores decay back toward 0, and a peer (and,
// unless exempt, its IP) is banned below PeerReputation.banThreshold (-100).
// So 100 is for data no honest peer can send by mistake: it takes a fresh
// peer to the threshold itself, and its next offence bans it (the threshold
// is exclusive; test/unit/reputation.test.ts pins that).
// Small amounts are for what an honest but slow, confused or unlucky peer
// may do now and then. Outright bans with no score (a peer on another
// network's genesis, a gossipsub score below GOSSIP_BAN_SCORE) go through
// PeerReputation.ban(). No other file holds a penalty amount
// (test/unit/peer-actions.test.ts scans src/ for one).
//
// Use: reputation.penalize(peer, PeerAction.INVALID_BLOCK) (the metric's
// reason is the action's name), or with a more specific reason label:
// reputation.penalize(peer, PeerAction.INVALID_BLOCK, `sync-${err.code}`).

export interface PeerActionSpec {
  /** Default reason label for metrics and logs. */
  readonly name: string
  readonly points: number
}

export const PeerAction = {
  // ---- fatal: consensus-invalid data, provable lies ------------------------
  /** A block or header that breaks a consensus rule (severity 'reject'). */
  INVALID_BLOCK: { name: 'invalid-block', points: 100 },

  // ---- the peer's protocol is broken --------------------------------------
  /** Bytes that do not decode, or are not canonical, in a reply. */
  MALFORMED_REPLY: { name: 'malformed-reply', points: 50 },
  /** A request whose length prefix alone is over the limit. */
  OVERSIZED_REQUEST: { name: 'oversized-request', points: 50 },
  /** A block we did not ask for, in a reply. */
  UNREQUESTED_BLOCK: { name: 'unrequested-block', points: 50 },
  /** More headers of a branch too weak to be stored than a peer may send (header-presync.ts). */
  LOW_WORK_HEADERS: { name: 'low-work-headers', points: 50 },
  /** A history page with `more: true` and not a single proof. */
  EMPTY_PAGE: { name: 'empty-page', points: 50 },
  /** A history proof at or before the cursor, or not in (height, txid) order. */
  HISTORY_OUT_OF_ORDER: { name: 'history-out-of-order', points: 50 },
  /** Claimed an address's history complete, yet lacks what another peer proved. */
  OMITTED_HISTORY: { name: 'omitted-history', points: 50 },
  /** A request that does not decode or breaks the protocol's shape rules. */
  INVALID_REQUEST: { name: 'invalid-request', points: 20 },
  /** The same hash more than once in one getBlocks: asks for a reply many times its fair size. */
  DUPLICATE_REQUEST_ITEMS: { name: 'duplicate-request-items', points: 20 },
  /** A reply of the wrong kind for the request. */
  UNEXPECTED_REPLY: { name: 'unexpected-reply', points: 20 },
  /** Headers that do not connect to anything we know (light client; full-node sync charges USELESS_DATA). */
  HEADERS_NOT_CONNECTING: { name: 'headers-not-connecting', points: 20 },
  /** A header request answered with an error, nothing, or too slowly for the work claimed. */
  HEADERS_NOT_DELIVERED: { name: 'headers-not-delivered', points: 20 },
  /** Named a tip as its own, then served no headers leading to it. */
  UNKNOWN_TIP: { name: 'unknown-tip', points: 20 },

  // ---- tolerated a few times ---------------------------------------------
  /** Data that failed a non-consensus check (severity 'ignore'), e.g. stale. */
  USELESS_DATA: { name: 'useless-data', points: 10 },
  /** Claimed more chain work than its headers showed. */
  UNPROVEN_WORK: { name: 'unproven-work', points: 10 },
  /** A Merkle proof we did not ask for (charged per proof). */
  UNREQUESTED_PROOF: { name: 'unrequested-proof', points: 10 },
  /** A request over the per-peer request or byte budget. */
  RATE_LIMIT: { name: 'rate-limit', points: 5 },
  /** A request stream left half-open after its reply. */
  STREAM_LEFT_OPEN: { name: 'stream-left-open', points: 2 }
} as const satisfies Record<string, PeerActionSpec>

export type PeerActionName = keyof typeof PeerAction

/** `PeerAction.X` scaled, for a penalty charged per item (e.g. per unrequested proof). */
export function times (action: PeerActionSpec, count: number): PeerActionSpec {
  return { name: action.name, points: action.points * count }
}
