// Gossip validation of blocks. The header is read from the wire bytes alone
// and checked against the chain before the body is decoded, so a block with a
// bad header costs its sender and almost no CPU. Only a block fully validated
// onto the active chain is relayed: a side block has passed only its header
// and stateless checks (its transactions were never checked against the
// UTXO set), so relaying it would vouch for what we have not validated
// (Bitcoin Core likewise announces only blocks on its active chain).
import { decodeBlock, peekBlockHeader } from '../../core/encoding.js'
import type { Block } from '../../core/types.js'
import type { Chain } from '../../chain/chain.js'
import { ignoreBecause, type GossipValidator } from './result.js'

export interface BlockValidatorHooks {
  /** A block whose parent is unknown: sync with the peer that sent it. */
  onOrphan: (from: string, missing: Uint8Array | undefined) => void
  /** A block connected to the active chain: it will be relayed. */
  onAccepted?: (block: Block, from: string) => void
}

export function blockValidator (chain: Chain, maxBytes: number, hooks: BlockValidatorHooks): GossipValidator {
  return async (data, from) => {
    // [REJECT] larger than the largest valid block (the limit counts the encoding)
    // [REJECT] not a Block message, header not first, header not canonical
    const { header } = peekBlockHeader(data, maxBytes)
    // [REJECT] known invalid or building on an invalid block
    // [REJECT] proof of work, bits other than the retarget rule gives at its height, time not after the median
    // [IGNORE] time too far ahead of our clock
    const known = chain.precheckHeader(header)
    // [IGNORE] already have this block
    if (known === 'duplicate') throw ignoreBecause('duplicate', 'block already known')
    // [REJECT] body malformed or not canonically encoded
    const block = decodeBlock(data, maxBytes)
    // [REJECT] any consensus rule of the body: size, Merkle root, transactions,
    //          and once connected: spends, signatures, coinbase amount
    const result = await chain.processBlock(block)
    // [IGNORE] parent unknown: held as an orphan, and we sync from the sender
    if (result.status === 'orphan') {
      hooks.onOrphan(from, result.missing)
      throw ignoreBecause('orphan', 'parent unknown')
    }
    // [IGNORE] not on our active chain after validation (a side branch): not ours to vouch for
    if (result.status !== 'connected') throw ignoreBecause(result.status === 'side' ? 'side-block' : result.status, `block not on the active chain (${result.status})`)
    hooks.onAccepted?.(block, from)
  }
}
