// Gossipsub peer scoring. Without topic parameters scores stay 0 whatever a
// peer sends; these make each rejected message cost heavily while honest but
// quiet peers (a LAN chain is quiet between blocks) lose nothing.
import { createPeerScoreParams, createTopicScoreParams, type PeerScoreParams, type PeerScoreThresholds } from '@libp2p/gossipsub/score'
import type { Topics } from './protocols.js'

/** Gossip score below which the node disconnects and bans a peer. */
export const GOSSIP_BAN_SCORE = -100

export const gossipScoreThresholds: Partial<PeerScoreThresholds> = {
  gossipThreshold: -50,
  publishThreshold: -100,
  graylistThreshold: -200,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 5
}

export function gossipScoreParams (topics: Topics, appScore: (peerId: string) => number): Partial<PeerScoreParams> {
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
    topics: { [topics.tx]: topic, [topics.block]: topic, [topics.header]: topic },
    topicScoreCap: 20,
    appSpecificScore: appScore,
    appSpecificWeight: 1,
    // every peer on a LAN demo (or loopback) may share one IP
    IPColocationFactorWeight: 0,
    IPColocationFactorThreshold: 100,
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: 0.9,
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 600_000
  })
}
