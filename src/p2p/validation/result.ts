// What a gossip validator concludes about a message, and how errors map to it.
import { ValidationError } from '../../core/errors.js'

export type GossipVerdict = 'accept' | 'ignore' | 'reject'

export interface GossipOutcome {
  verdict: GossipVerdict
  /** Reason code for metrics and logs. */
  code: string
}

export type GossipValidator = (data: Uint8Array, from: string) => Promise<GossipOutcome>

/** Typed validation errors carry their own severity; anything else is our problem, not the sender's. */
export function outcomeOfError (err: unknown): GossipOutcome {
  if (err instanceof ValidationError) return { verdict: err.severity, code: err.code }
  return { verdict: 'ignore', code: 'internal-error' }
}

export const accept = (code = 'ok'): GossipOutcome => ({ verdict: 'accept', code })
export const ignore = (code: string): GossipOutcome => ({ verdict: 'ignore', code })
