// Gossip validation of header announcements (the SPV feed). A full node
// relays headers of blocks it has validated; a light node checks them
// against its own header chain.
import { blockHashHex } from '../../core/block.js'
import { decodeWire, headerFromWire, headerToWire } from '../../core/encoding.js'
import { wire } from '../../core/wire/schema.js'
import { checkHeaderPow } from '../../core/validate.js'
import type { NetworkParams } from '../../core/params.js'
import type { BlockHeader } from '../../core/types.js'
import { equalBytes } from '../../core/bytes.js'
import { DecodeError } from '../../core/errors.js'
import { accept, ignore, outcomeOfError, type GossipOutcome, type GossipValidator } from './result.js'

export function encodeHeaderAnnouncement (header: BlockHeader): Uint8Array {
  return wire.HeaderAnnouncement.encode({ header: headerToWire(header) }).finish()
}

export function decodeHeaderAnnouncement (data: Uint8Array, maxBytes: number): BlockHeader {
  const msg = decodeWire<{ header?: Parameters<typeof headerFromWire>[0] }>(wire.HeaderAnnouncement, data, maxBytes, 'header announcement')
  const header = headerFromWire(msg.header)
  if (!equalBytes(encodeHeaderAnnouncement(header), data)) throw new DecodeError('decode-noncanonical', 'header announcement is not canonically encoded')
  return header
}

/** Full nodes: relay announcements of blocks they hold and found valid. */
export function fullNodeHeaderValidator (p: NetworkParams, maxBytes: number, isValidKnown: (hashHex: string) => boolean, onUnknown: (from: string) => void): GossipValidator {
  return async (data, from) => {
    try {
      const header = decodeHeaderAnnouncement(data, maxBytes)
      // [REJECT] proof of work
      checkHeaderPow(header, p)
      if (isValidKnown(blockHashHex(header))) return accept()
      // [IGNORE] a header we cannot vouch for (yet); the sender has a block we
      // lack (e.g. one it synced rather than received by gossip): ask it
      onUnknown(from)
      return ignore('unknown-block')
    } catch (err) {
      return outcomeOfError(err)
    }
  }
}

/** Light nodes: the header chain decides. */
export function lightHeaderValidator (maxBytes: number, process: (header: BlockHeader, from: string) => Promise<GossipOutcome>): GossipValidator {
  return async (data, from) => {
    try {
      return await process(decodeHeaderAnnouncement(data, maxBytes), from)
    } catch (err) {
      return outcomeOfError(err)
    }
  }
}
