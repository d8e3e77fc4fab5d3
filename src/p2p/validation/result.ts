// One home for what gossip validation concludes, in Lodestar's shape
// (beacon-node/src/chain/validation/*.ts): each topic has one validator
// (block.ts, tx.ts, header.ts) that lists its checks in order, cheapest
// first, each tagged [REJECT] or [IGNORE], and throws a typed ValidationError
// at the first that fails. Its severity is the verdict. This file maps a
// validator's result to the verdict, the reason code and the penalty;
// GossipService (gossip.ts) applies them and counts the metric.
import { ValidationError } from '../../core/errors.js'

export type GossipVerdict = 'accept' | 'ignore' | 'reject'

/**
 * What a verdict does to the message and its sender:
 * - accept: relayed to our mesh peers; no penalty.
 * - ignore: dropped (duplicate, not useful now, not ours to vouch for); no penalty.
 * - reject: dropped, and gossipsub counts an invalid delivery against the
 *   sender (weights in gossip-scoring.ts); GossipService bans a peer whose
 *   score falls below GOSSIP_BAN_SCORE.
 */
export const VERDICT_PENALISES: Readonly<Record<GossipVerdict, boolean>> = { accept: false, ignore: false, reject: true }

export interface GossipOutcome {
  verdict: GossipVerdict
  /** Reason code for logs (stable, from the ValidationError). */
  code: string
  /** Set when the validator failed on our side, not the sender's. */
  error?: Error
}

/**
 * A topic's validator: resolves when the message passed every check and may
 * be relayed; otherwise throws a ValidationError whose severity is the verdict.
 */
export type GossipValidator = (data: Uint8Array, from: string) => Promise<void>

/** An [IGNORE] check that failed. */
export function ignoreBecause (code: string, message: string): ValidationError {
  return new ValidationError(code, message, 'ignore')
}

/** Typed validation errors carry their own verdict; anything else is our problem, not the sender's. */
export function outcomeOfError (err: unknown): GossipOutcome {
  if (err instanceof ValidationError) return { verdict: err.severity, code: err.code }
  return { verdict: 'ignore', code: 'internal-error', error: err instanceof Error ? err : new Error(String(err)) }
}

/** Runs a validator and maps its result: the only place a verdict is decided. */
export async function judge (validate: GossipValidator, data: Uint8Array, from: string): Promise<GossipOutcome> {
  try {
    await validate(data, from)
    return accept()
  } catch (err) {
    return outcomeOfError(err)
  }
}

export const accept = (code = 'ok'): GossipOutcome => ({ verdict: 'accept', code })
export const ignore = (code: string): GossipOutcome => ({ verdict: 'ignore', code })
