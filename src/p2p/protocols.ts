// Names and limits of the wire protocols. The network id is part of every
// topic and protocol id so nodes of different networks never mix.
import type { NetworkParams } from '../core/params.js'

/**
 * The gossip topics. Topic ids, gossipsub's allowed topics and score
 * parameters, and the frame budget for piggybacked control derive from this
 * list; each message's size bound is its WireLimits field below.
 */
export const TOPIC_NAMES = ['tx', 'block', 'header'] as const
export type TopicName = typeof TOPIC_NAMES[number]
/** Topic ids of one network by name. */
export type Topics = Record<TopicName, string>

export function topicsFor (network: string): Topics {
  return Object.fromEntries(TOPIC_NAMES.map(name => [name, `/minicoin/${network}/${name}/1`])) as Topics
}

/**
 * Connection limits. peersPerIp bounds both inbound connections from one IP
 * (inbound-slots.ts) and the gossip score's IP colocation threshold
 * (gossip-scoring.ts); outboundSlots: connections kept for peers we dial
 * (Bitcoin Core's 8 full-relay outbound connections).
 */
export const CONNECTION_LIMITS = { peersPerIp: 3, outboundSlots: 8 } as const

export interface ProtocolIds {
  sync: string
  spv: string
  /** Peer exchange (peer-exchange.ts). */
  peers: string
}

export function protocolsFor (network: string): ProtocolIds {
  return {
    sync: `/minicoin/${network}/sync/1.0.0`,
    spv: `/minicoin/${network}/spv/1.0.0`,
    peers: `/minicoin/${network}/peers/1.0.0`
  }
}

/** Every message from a peer is untrusted: these bound what it can make us do. */
export interface WireLimits {
  txMessageBytes: number
  /** A gossiped block: exactly the consensus limit, which counts the block's encoding. */
  blockMessageBytes: number
  /**
   * One gossipsub RPC frame (gossipsub's maxInboundDataLength): a frame
   * carries whole messages plus piggybacked control, and an IWANT reply
   * bundles every message asked for, so it must hold more than one block.
   */
  gossipFrameBytes: number
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

/** Envelope of one message in a gossipsub RPC: field tags, length varints, the topic. */
const GOSSIP_MESSAGE_ENVELOPE_BYTES = 256
/**
 * Control piggybacked on a frame: IHAVE/IWANT lists of up to 5,000 message
 * ids (gossipsub's cap) of 32 bytes (the content hash) per topic.
 */
const GOSSIP_CONTROL_BYTES = TOPIC_NAMES.length * 5000 * (32 + 3) + 64 * 1024
/** Envelope of a sync Blocks reply: tags and varints per block and the not-found hashes. */
function blocksReplyEnvelope (blocksPerReply: number): number {
  return 16 + blocksPerReply * (6 + 2 + 32 + 2)
}

export function limitsFor (p: NetworkParams): WireLimits {
  const blockMessageBytes = p.maxBlockSize
  const blocksPerReply = 16
  const blockReplyBytes = 4 * p.maxBlockSize
  const limits: WireLimits = {
    txMessageBytes: p.maxTxSize,
    blockMessageBytes,
    // two maximum blocks in one IWANT reply, plus all the control that may ride along
    gossipFrameBytes: 2 * (blockMessageBytes + GOSSIP_MESSAGE_ENVELOPE_BYTES) + GOSSIP_CONTROL_BYTES,
    headerMessageBytes: 256,
    requestBytes: 64 * 1024,
    responseBytes: Math.max(16 * 1024 * 1024, blockReplyBytes + blocksReplyEnvelope(blocksPerReply)),
    headersPerReply: 2000,
    blocksPerReply,
    blockReplyBytes,
    proofsPerReply: 200,
    locatorHashes: 64,
    streamTimeoutMs: 15_000,
    requestsPerSecond: 50,
    requestBurst: 200
  }
  checkWireLimits(p, limits)
  return limits
}

/**
 * Every block a miner may build must fit every wire limit: gossip message
 * and frame, a sync reply (which serves at least one block whatever its
 * size) and the reply's frame. Throws when a network's parameters break this.
 */
export function checkWireLimits (p: NetworkParams, l: WireLimits): void {
  const need = (ok: boolean, what: string): void => { if (!ok) throw new Error(`wire limits of ${p.id}: ${what}`) }
  need(l.blockMessageBytes >= p.maxBlockSize, 'a maximum block does not fit a gossip message')
  need(l.gossipFrameBytes >= l.blockMessageBytes + GOSSIP_MESSAGE_ENVELOPE_BYTES + GOSSIP_CONTROL_BYTES, 'a maximum block does not fit a gossip frame')
  need(l.txMessageBytes >= p.maxTxSize, 'a maximum transaction does not fit a gossip message')
  need(l.blockReplyBytes >= p.maxBlockSize, 'a maximum block does not fit a sync reply')
  need(l.responseBytes >= l.blockReplyBytes + blocksReplyEnvelope(l.blocksPerReply), 'a full sync reply does not fit the response limit')
}
