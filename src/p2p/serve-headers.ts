// The one getHeaders handler: the sync protocol (full nodes) and the SPV
// protocol (light clients) both answer a locator with active-chain headers,
// capped by the same per-reply limit whatever the peer asks for.
import type { Chain } from '../chain/chain.js'
import type { BlockHeader } from '../core/types.js'

export interface HeadersQuery {
  locator: Uint8Array[]
  /** 0: as many as a reply may hold. */
  max: number
  stop: Uint8Array
}

/** Headers after the locator's first active-chain hash, at most `headersPerReply`. */
export function serveHeaders (chain: Pick<Chain, 'headersAfter'>, req: HeadersQuery, headersPerReply: number): BlockHeader[] {
  const max = Math.min(req.max > 0 ? req.max : headersPerReply, headersPerReply)
  return chain.headersAfter(req.locator, max, req.stop)
}
