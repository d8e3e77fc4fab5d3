// What a peer's SPV answer earned it. The light client's checks return a
// verdict instead of punishing the peer themselves; LightClient.judge applies
// it. Points come from the one penalty table (p2p/peer-actions.ts): here is
// only which action a fault is, and the reason label logs and metrics use
// (`spv-<fault>`, or `spv-<error code>` for a ban).
import type { DecodeError, ValidationError } from '../core/errors.js'
import { PeerAction, times, type PeerActionSpec } from '../p2p/peer-actions.js'

/** Misbehaviour short of provably false data: costs points. */
export type SpvFault =
  | 'unexpected-reply'
  | 'headers-not-connecting'
  | 'low-work-headers'
  | 'unknown-tip'
  | 'unrequested-proof'
  | 'empty-page'
  | 'history-out-of-order'
  | 'omitted-history'

/** Provably false data (an invalid header or proof, bytes no honest server sends): the peer is banned. */
export interface SpvBan { readonly kind: 'ban', readonly reason: string, readonly detail: string }
/** A fault charged `count` times (per unrequested proof; 1 otherwise). */
export interface SpvPenalty { readonly kind: 'penalty', readonly fault: SpvFault, readonly detail: string, readonly count?: number }
export type SpvVerdict = SpvBan | SpvPenalty

export function ban (reason: string, detail: string): SpvBan {
  return { kind: 'ban', reason, detail }
}

export function penalty (fault: SpvFault, detail: string, count = 1): SpvPenalty {
  return { kind: 'penalty', fault, detail, count }
}

/** The one place an SPV fault becomes a PeerAction. */
export function spvAction (fault: SpvFault): PeerActionSpec {
  switch (fault) {
    case 'unexpected-reply': return PeerAction.UNEXPECTED_REPLY
    case 'headers-not-connecting': return PeerAction.HEADERS_NOT_CONNECTING
    case 'low-work-headers': return PeerAction.LOW_WORK_HEADERS
    case 'unknown-tip': return PeerAction.UNKNOWN_TIP
    case 'unrequested-proof': return PeerAction.UNREQUESTED_PROOF
    case 'empty-page': return PeerAction.EMPTY_PAGE
    case 'history-out-of-order': return PeerAction.HISTORY_OUT_OF_ORDER
    case 'omitted-history': return PeerAction.OMITTED_HISTORY
  }
}

/** A penalty verdict's action, scaled by its count, with its reason label (`spv-<fault>`). */
export function penaltyOf (v: SpvPenalty): { action: PeerActionSpec, reason: string } {
  return { action: times(spvAction(v.fault), v.count ?? 1), reason: `spv-${v.fault}` }
}

/** An undecodable, oversized or non-canonical reply: nothing an honest server sends. */
export function decodeVerdict (err: DecodeError): SpvVerdict {
  return ban('spv-bad-response', err.message)
}

/**
 * Headers our header chain refused, from a header sync: an invalid one is a
 * ban; headers that do not connect to our locator (a confused peer, not a
 * provably lying one) or a flood of low-work headers cost points; any other
 * non-consensus failure costs nothing (undefined).
 */
export function headersVerdict (err: ValidationError): SpvVerdict | undefined {
  if (err.severity === 'reject') return ban(`spv-${err.code}`, err.message)
  if (err.code === 'header-orphan') return penalty('headers-not-connecting', err.message)
  if (err.code === 'headers-low-work') return penalty('low-work-headers', err.message)
  return undefined
}

/**
 * A reply's proofs, checked: any provably invalid proof bans the peer (the
 * whole reply is dropped); valid proofs of transactions we did not ask about
 * cost per proof; otherwise nothing (undefined).
 */
export function proofsVerdict (firstInvalid: ValidationError | undefined, unrequested: number): SpvVerdict | undefined {
  if (firstInvalid !== undefined) return ban(`spv-${firstInvalid.code}`, firstInvalid.message)
  if (unrequested > 0) return penalty('unrequested-proof', `${unrequested} proofs`, unrequested)
  return undefined
}
