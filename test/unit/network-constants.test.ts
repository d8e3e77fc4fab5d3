// Network-level names and limits come from one table each (p2p/protocols.ts,
// core/params.ts): what derives from them stays as the contract states.
import { describe, expect, it } from 'vitest'
import { CONNECTION_LIMITS, TOPIC_NAMES, topicsFor } from '../../src/p2p/protocols.js'
import { GOSSIP_PEERS_PER_IP, gossipScoreParams } from '../../src/p2p/gossip-scoring.js'
import { slotLimitsFor } from '../../src/p2p/inbound-slots.js'
import { NETWORK_IDS, networks } from '../../src/core/params.js'
import { NETWORKS } from '../../src/node/config.js'

describe('network constants', () => {
  it('topic ids carry the network id (DESIGN.md: /minicoin/<network>/<topic>/1)', () => {
    expect(topicsFor('devnet')).toEqual({ tx: '/minicoin/devnet/tx/1', block: '/minicoin/devnet/block/1', header: '/minicoin/devnet/header/1' })
  })

  it('every topic is scored', () => {
    const topics = topicsFor('regtest')
    const scored = Object.keys(gossipScoreParams(topics, () => 0).topics ?? {})
    expect(scored.sort()).toEqual(TOPIC_NAMES.map(t => topics[t]).sort())
  })

  it('one per-IP limit for inbound slots and gossip colocation, one outbound count', () => {
    expect(GOSSIP_PEERS_PER_IP).toBe(CONNECTION_LIMITS.peersPerIp)
    expect(slotLimitsFor(50)).toEqual({ outbound: CONNECTION_LIMITS.outboundSlots, inbound: 50 - CONNECTION_LIMITS.outboundSlots, inboundPerIp: CONNECTION_LIMITS.peersPerIp })
  })

  it('the config accepts exactly the networks there are parameters for', () => {
    expect([...NETWORKS]).toEqual([...NETWORK_IDS])
    expect(Object.keys(networks).sort()).toEqual([...NETWORK_IDS].sort())
  })
})
