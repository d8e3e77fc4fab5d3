// Who gets an inbound slot. Inbound connections are capped per remote IP and
// in total, below maxPeers, so inbound peers can never take the slots of the
// connections we chose (outbound, bootstrap). When every inbound slot is
// taken, a newcomer may evict one inbound peer, chosen the way Bitcoin Core's
// AttemptToEvictConnection does (simplified): protect the best-behaved and
// the longest-connected, then evict the youngest peer of the IP group that
// holds the most connections (an attacker's many ids share few IPs).

import { CONNECTION_LIMITS } from './protocols.js'

export interface SlotLimits {
  /** Outbound connections we keep room for (Core: 8 full-relay). */
  outbound: number
  /** Inbound connections at most (maxPeers - outbound, at least 1). */
  inbound: number
  /** Inbound connections at most from one non-exempt IP. */
  inboundPerIp: number
}

export function slotLimitsFor (maxPeers: number, inboundPerIp: number = CONNECTION_LIMITS.peersPerIp): SlotLimits {
  const outbound = Math.min(CONNECTION_LIMITS.outboundSlots, Math.ceil(maxPeers / 2))
  return { outbound, inbound: Math.max(1, maxPeers - outbound), inboundPerIp }
}

export interface EvictionCandidate {
  id: string
  /**
   * Remote IP. Core groups by network (/16): on a LAN every peer shares one
   * /16, so here the group is the IP itself.
   */
  group: string
  /** When the connection opened (ms). */
  openedAt: number
  /** The peer's reputation score (0 = clean, negative = penalised). */
  score: number
}

/**
 * The inbound connection to evict for a newcomer, or undefined when every
 * one is protected (then the newcomer is refused). Callers pass only
 * evictable connections: never outbound, bootstrap or exempt (trusted) ones.
 */
export function chooseEviction (candidates: readonly EvictionCandidate[], protectBestScored = 4): EvictionCandidate | undefined {
  let rest = [...candidates]
  // the best-behaved few are kept (Core protects peers that relayed useful blocks and transactions)
  rest.sort((a, b) => b.score - a.score || a.openedAt - b.openedAt)
  rest = rest.slice(protectBestScored)
  // then the older half (Core: half of the remaining by connection time)
  rest.sort((a, b) => a.openedAt - b.openedAt)
  rest = rest.slice(Math.floor(rest.length / 2))
  if (rest.length === 0) return undefined
  // the group with the most connections loses its youngest
  const byGroup = new Map<string, EvictionCandidate[]>()
  for (const c of rest) byGroup.set(c.group, [...(byGroup.get(c.group) ?? []), c])
  let worst: EvictionCandidate[] = []
  for (const members of byGroup.values()) {
    if (members.length > worst.length || (members.length === worst.length && youngest(members).openedAt > youngest(worst).openedAt)) worst = members
  }
  return youngest(worst)
}

function youngest (members: EvictionCandidate[]): EvictionCandidate {
  return members.reduce((a, b) => (b.openedAt > a.openedAt ? b : a))
}
