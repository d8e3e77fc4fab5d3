// Options for a P2PHost on loopback in a test: an ephemeral port, no mDNS
// (multicast must never leave this machine), no bootstrap list, regtest
// topics. A test names the host and overrides only what it is about.
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { HostOptions } from '../../src/p2p/host.js'
import { PeerReputation } from '../../src/p2p/reputation.js'
import { topicsFor } from '../../src/p2p/protocols.js'
import { testLogger } from '../../bench/support/nodes.js'

export async function loopbackHostOptions (name: string, overrides: Partial<HostOptions> = {}): Promise<HostOptions> {
  return {
    privateKey: await generateKeyPair('Ed25519'),
    listenHost: '127.0.0.1',
    listenPort: 0,
    bootstrap: [],
    mdns: false,
    maxPeers: 50,
    topics: topicsFor('regtest'),
    maxMessageBytes: 64 * 1024,
    reputation: new PeerReputation(),
    userAgent: name,
    log: testLogger(name),
    ...overrides
  }
}
