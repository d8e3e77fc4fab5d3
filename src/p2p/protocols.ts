// Names and limits of the wire protocols. The network id is part of every
// topic and protocol id so nodes of different networks never mix.
import type { NetworkParams } from '../core/params.js'

export interface Topics {
  tx: string
  block: string
  header: string
}

export function topicsFor (network: string): Topics {
  return {
    tx: `/minicoin/${network}/tx/1`,
    block: `/minicoin/${network}/block/1`,
    header: `/minicoin/${network}/header/1`
  }
}

export interface ProtocolIds {
  sync: string
  spv: string
}

export function protocolsFor (network: string): ProtocolIds {
  return {
    sync: `/minicoin/${network}/sync/1.0.0`,
    spv: `/minicoin/${network}/spv/1.0.0`
  }
}

/** Every message from a peer is untrusted: these bound what it can make us do. */
export interface WireLimits {
  txMessageBytes: number
  blockMessageBytes: number
  headerMessageBytes: number
  requestBytes: number
  responseBytes: number
  headersPerReply: number
  blocksPerReply: number
  blockReplyBytes: number
  proofsPerReply: number
  locatorHashes: number
  streamTimeoutMs: number
  /** Token bucket per peer and protocol. */
  requestsPerSecond: number
  requestBurst: number
}

export function limitsFor (p: NetworkParams): WireLimits {
  return {
    txMessageBytes: p.maxTxSize,
    blockMessageBytes: p.maxBlockSize + 16 * 1024,
    headerMessageBytes: 256,
    requestBytes: 64 * 1024,
    responseBytes: 16 * 1024 * 1024,
    headersPerReply: 2000,
    blocksPerReply: 16,
    blockReplyBytes: 8 * 1024 * 1024,
    proofsPerReply: 200,
    locatorHashes: 64,
    streamTimeoutMs: 15_000,
    requestsPerSecond: 50,
    requestBurst: 200
  }
}
