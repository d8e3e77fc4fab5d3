// Gossip validation of header announcements (the SPV feed). A full node
// relays only headers of blocks it validated onto its active chain; a light
// node checks them against its own header chain.
import { blockHash } from '../../core/block.js'
import { decodeWire, headerFromWire, headerToWire } from '../../core/encoding.js'
import { wire } from '../../core/wire/schema.js'
import type { BlockHeader } from '../../core/types.js'
import { equalBytes } from '../../core/bytes.js'
import { DecodeError, ValidationError } from '../../core/errors.js'
import type { Chain } from '../../chain/chain.js'
import { ignoreBecause, type GossipOutcome, type GossipValidator } from './result.js'

export function encodeHeaderAnnouncement (header: BlockHeader): Uint8Array {
  return wire.HeaderAnnouncement.encode({ header: headerToWire(header) }).finish()
}

export function decodeHeaderAnnouncement (data: Uint8Array, maxBytes: number): BlockHeader {
  const msg = decodeWire(wire.HeaderAnnouncement, data, maxBytes, 'header announcement')
  const header = headerFromWire(msg.header)
  if (!equalBytes(encodeHeaderAnnouncement(header), data)) throw new DecodeError('decode-noncanonical', 'header announcement is not canonically encoded')
  return header
}

/** What the full node's header validator asks of the chain. */
export type HeaderChainView = Pick<Chain, 'precheckHeader' | 'getEntry' | 'index'>

/** Full nodes: relay announcements of blocks on their active chain only. */
export function fullNodeHeaderValidator (chain: HeaderChainView, maxBytes: number, onUnknown: (from: string) => void): GossipValidator {
  return async (data, from) => {
    // [REJECT] larger than a header announcement, malformed or non-canonical
    const header = decodeHeaderAnnouncement(data, maxBytes)
    // [REJECT] known invalid or building on an invalid block
    // [REJECT] proof of work, bits other than the retarget rule gives, time not after the median
    // [IGNORE] time too far ahead of our clock
    const known = chain.precheckHeader(header)
    const entry = chain.getEntry(blockHash(header))
    // [IGNORE] not a block this node validated onto its active chain: SPV
    //          peers trust full nodes to announce only validated blocks
    if (entry === undefined || !chain.index.isActive(entry)) {
      // the sender may hold blocks we lack (e.g. ones it synced rather than received by gossip): ask it
      if (known !== 'duplicate') onUnknown(from)
      throw ignoreBecause(known === 'duplicate' ? 'not-active' : 'unknown-block', 'header of a block not validated onto our active chain')
    }
  }
}

/** Light nodes: the header chain decides and returns the verdict. */
export function lightHeaderValidator (maxBytes: number, process: (header: BlockHeader, from: string) => Promise<GossipOutcome>): GossipValidator {
  return async (data, from) => {
    // [REJECT] larger than a header announcement, malformed or non-canonical
    const header = decodeHeaderAnnouncement(data, maxBytes)
    // [REJECT] / [IGNORE] as the header chain finds
    const outcome = await process(header, from)
    if (outcome.verdict !== 'accept') throw new ValidationError(outcome.code, `header ${outcome.verdict}ed by the header chain`, outcome.verdict)
  }
}
