// Gossip validation of blocks: full validation through the chain before the
// block is relayed, so an invalid block never travels past the first hop.
import { decodeBlock } from '../../core/encoding.js'
import type { Block } from '../../core/types.js'
import type { Chain } from '../../chain/chain.js'
import { accept, ignore, outcomeOfError, type GossipValidator } from './result.js'

export interface BlockValidatorHooks {
  /** A block whose parent is unknown: sync with the peer that sent it. */
  onOrphan: (from: string, missing: Uint8Array | undefined) => void
  onAccepted?: (block: Block, from: string) => void
}

export function blockValidator (chain: Chain, maxBytes: number, hooks: BlockValidatorHooks): GossipValidator {
  return async (data, from) => {
    try {
      // [REJECT] oversized, malformed or non-canonical bytes (decodeBlock throws DecodeError)
      const block = decodeBlock(data, maxBytes)
      // [REJECT] any consensus rule; [IGNORE] duplicates, future timestamps
      const r = await chain.processBlock(block)
      switch (r.status) {
        case 'connected':
        case 'side':
          hooks.onAccepted?.(block, from)
          return accept(r.status)
        case 'orphan':
          // [IGNORE] parent unknown: not relayed until we can check it
          hooks.onOrphan(from, r.missing)
          return ignore('orphan')
        default:
          return ignore(r.status)
      }
    } catch (err) {
      return outcomeOfError(err)
    }
  }
}
