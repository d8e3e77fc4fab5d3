// Gossipsub peer scoring. Without topic parameters scores stay 0 whatever a
// peer sends; these make each rejected message cost heavily while honest but
// quiet peers (a LAN chain is quiet between blocks) lose nothing.
import { createPeerScoreParams, createTopicScoreParams, type PeerScoreParams, type PeerScoreThresholds } from '@libp2p/gossipsub/score'
import { CONNECTION_LIMITS, type Topics } from './protocols.js'

/** Gossip score below which the node disconnects and bans a peer. */
export const GOSSIP_BAN_SCORE = -100

export const gossipScoreThresholds: Partial<PeerScoreThresholds> = {
  gossipThreshold: -50,
  publishThreshold: -100,
  graylistThreshold: -200,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 5
}

/**
 * More peers than this from one IP cost each of them (P6, quadratic in the
 * surplus): the same number as the inbound per-IP connection cap.
 */
export const GOSSIP_PEERS_PER_IP = CONNECTION_LIMITS.peersPerIp

/** `exemptIps`: loopback and trusted addresses, which may host any number of peers (only its `has` is used). */
export function gossipScoreParams (topics: Topics, appScore: (peerId: string) => number, exemptIps: Set<string> = new Set()): Partial<PeerScoreParams> {
  const topic = createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 300,
    firstMessageDeliveriesWeight: 0.5,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20,
    // no delivery quotas: blocks come every few seconds at best
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesCap: 10,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 60_000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    // one invalid message costs 60, two 240 (the counter is squared)
    invalidMessageDeliveriesWeight: -60,
    invalidMessageDeliveriesDecay: 0.97
  })
  return createPeerScoreParams({
    topics: Object.fromEntries(Object.values(topics).map(t => [t, topic])),
    topicScoreCap: 20,
    appSpecificScore: appScore,
    appSpecificWeight: 1,
    // peer ids are free, IPs are not: a 4th peer from one IP costs each
    // -10, a 5th -40, a 6th -90 (below gossipThreshold), a 7th -160 (banned).
    // Loopback and trusted addresses (a one-machine devnet) are exempt.
    IPColocationFactorWeight: -10,
    IPColocationFactorThreshold: GOSSIP_PEERS_PER_IP,
    IPColocationFactorWhitelist: exemptIps,
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: 0.9,
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 600_000
  })
}
