// The serving side of /minicoin/N/sync/1.0.0: our chain status, active-chain
// headers by locator, and stored blocks by hash, each reply bounded by the
// wire limits and the peer's byte allowance.
import { fromHex, toHex } from '../core/bytes.js'
import { DecodeError } from '../core/errors.js'
import type { Chain } from '../chain/chain.js'
import type { WireLimits } from './protocols.js'
import { InvalidRequestError, type ReplyBudget } from './rpc.js'
import { PeerAction } from './peer-actions.js'
import { serveHeaders } from './serve-headers.js'
import {
  type ChainStatus, decodeSyncRequest, encodeBlocksResponse, encodeHeadersResponse, encodeStatusResponse, type SyncRequest
} from './sync-messages.js'

/** Our active chain as a Status message tells it. */
/**
 * Block bytes one getBlocks reply carries, at most (a larger first block
 * still goes alone). A client sizes its requests from the blocks it saw
 * last, so where a chain turns from small blocks to full ones its two
 * requests in flight ask for 16 full blocks each: ~32,000 transactions,
 * ~60 MB of heap once decoded (a decoded transaction is ~20x its bytes).
 * Replies of at most this bound what arrives at once, and what the server
 * holds encoded per request; the blocks left out are asked for again.
 */
export const SERVE_REPLY_TARGET_BYTES = 512 * 1024

export function chainStatusOf (chain: Chain): ChainStatus {
  const tip = chain.tip
  return { genesis: fromHex(chain.params.genesisHash), tip: tip.hash, height: tip.height, work: tip.work }
}

export interface SyncServerOptions {
  chain: Chain
  limits: WireLimits
  /** A peer told us its status in a request (a hint to record, never state). */
  onStatus?: (peer: string, status: ChainStatus) => void
}

export class SyncServer {
  private readonly chain: Chain
  private readonly limits: WireLimits
  private readonly onStatus: (peer: string, status: ChainStatus) => void

  constructor (opts: SyncServerOptions) {
    this.chain = opts.chain
    this.limits = opts.limits
    this.onStatus = opts.onStatus ?? (() => {})
  }

  /** One request to its response bytes; malformed requests throw InvalidRequestError. */
  async serve (bytes: Uint8Array, peer: string, budget: ReplyBudget): Promise<Uint8Array> {
    let req: SyncRequest
    try {
      req = decodeSyncRequest(bytes, this.limits.requestBytes, this.limits.locatorHashes, this.limits.blocksPerReply)
    } catch (err) {
      if (err instanceof DecodeError) throw new InvalidRequestError(err.message, PeerAction.INVALID_REQUEST)
      throw err
    }
    switch (req.kind) {
      case 'status': {
        this.onStatus(peer, req.status)
        return encodeStatusResponse(chainStatusOf(this.chain))
      }
      case 'getHeaders': return encodeHeadersResponse(serveHeaders(this.chain, req, this.limits.headersPerReply))
      case 'getBlocks': return this.blocks(req.hashes, budget)
    }
  }

  private blocks (hashes: Uint8Array[], budget: ReplyBudget): Uint8Array {
    // An honest client never asks for one block twice in a request; a
    // duplicate only multiplies the reply (16 copies of a 2 MB block
    // for a 600-byte request). Refused before any read, and it costs.
    const seen = new Set<string>()
    for (const h of hashes) {
      const hex = toHex(h)
      if (seen.has(hex)) throw new InvalidRequestError(`getBlocks asks for ${hex} twice`, PeerAction.DUPLICATE_REQUEST_ITEMS)
      seen.add(hex)
    }
    const raw: Uint8Array[] = []
    const notFound: Uint8Array[] = []
    // at most what the peer may be sent now (the first block always):
    // blocks left out are simply not in the reply, and asked for again
    const maxBytes = Math.min(this.limits.blockReplyBytes, budget.maxBytes, SERVE_REPLY_TARGET_BYTES)
    let bytesOut = 0
    for (const h of hashes) {
      const block = this.chain.getBlockBytes(h)
      if (block === undefined) { notFound.push(h); continue }
      if (raw.length > 0 && bytesOut + block.length > maxBytes) break
      raw.push(block)
      bytesOut += block.length
    }
    return encodeBlocksResponse(raw, notFound)
  }
}
