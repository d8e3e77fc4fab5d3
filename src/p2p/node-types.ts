// The libp2p node type of the host, apart from host.ts so the modules the
// host is built from (peer exchange, rpc) can name it without an import cycle.
import type { Libp2p } from 'libp2p'
import type { Identify } from '@libp2p/identify'
import type { GossipSub } from '@libp2p/gossipsub'

export type Services = {
  identify: Identify
  pubsub: GossipSub
}

export type Node = Libp2p<Services>
