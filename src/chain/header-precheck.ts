// The checks a block's header must pass before anything is spent on its
// body, cheapest first. Shared by a block's arrival (BlockAcceptance.accept) and
// the gossip validators, which run it on a block's header alone.
import { blockHash } from '../core/block.js'
import { toHex } from '../core/bytes.js'
import { checkHeaderContext } from '../core/contextual.js'
import { ValidationError } from '../core/errors.js'
import type { NetworkParams } from '../core/params.js'
import type { BlockHeader } from '../core/types.js'
import { checkHeaderPow } from '../core/validate.js'
import { hasData, isInvalid, type BlockIndex } from './block-index.js'
import type { HeaderPrecheck } from './chain-types.js'
import type { InvalidBlocks } from './invalid-blocks.js'
import type { OrphanPool } from './orphans.js'

export interface PrecheckContext {
  index: BlockIndex
  invalid: InvalidBlocks
  orphans: OrphanPool
  params: NetworkParams
  /** Unix seconds now (the future-time rule). */
  now: number
}

/**
 * The checks a block's header must pass before anything is spent on its
 * body, cheapest first: known or known invalid, parent known and valid,
 * proof of work, then difficulty and time against the branch. A gossiped
 * block runs this on its header alone, before decoding the rest, so a
 * block with a bad header costs its sender and almost no CPU. Throws a
 * ValidationError; otherwise says what is known of the header.
 */
export function precheckHeader (header: BlockHeader, ctx: PrecheckContext): HeaderPrecheck {
  const { index, invalid, orphans, params } = ctx
  const hashHex = toHex(blockHash(header))
  const existing = index.get(hashHex)
  // [REJECT] a block already known invalid
  if (existing !== undefined && isInvalid(existing)) throw new ValidationError('block-known-invalid', `block ${hashHex} is known to be invalid`)
  const knownReason = invalid.reasonFor(hashHex)
  if (knownReason !== undefined) throw knownReason
  // [IGNORE] already have it
  if ((existing !== undefined && hasData(existing)) || orphans.has(hashHex)) return 'duplicate'
  const parentHex = toHex(header.prevHash)
  // [REJECT] builds on a block already rejected (not kept in the index)
  if (invalid.rejected(parentHex)) throw new ValidationError('block-invalid-parent', `block ${hashHex} builds on invalid block ${parentHex}`)
  const parent = index.get(parentHex)
  // [REJECT] proof of work against its own bits (all an orphan can be checked against)
  if (existing === undefined) checkHeaderPow(header, params)
  // [IGNORE] parent unknown: held as an orphan
  if (parent === undefined) return 'orphan'
  // [REJECT] builds on an invalid block
  if (isInvalid(parent)) throw new ValidationError('block-invalid-parent', `block ${hashHex} builds on invalid block ${parent.hashHex}`)
  // [REJECT] bits other than the retarget rule gives, time not after the median; [IGNORE] time too far ahead
  if (existing === undefined) checkHeaderContext(header, parent.height + 1, { ancestor: (h: number) => index.ancestor(parent, h).header }, params, ctx.now)
  return existing === undefined ? 'new' : 'header-known'
}
