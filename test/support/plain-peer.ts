// A bare libp2p peer (TCP + Noise + yamux + identify) for tests that play
// a hostile or scripted peer by hand. `from` picks its source address on
// loopback (127.0.0.x are distinct IPs to the node); `listen` makes it
// dialable. The caller stops it (or registers it with its Cleanup).
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp, type TCPSocketOptions } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'

export async function plainPeer (opts: { from?: string, listen?: boolean } = {}): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: opts.listen === false ? [] : ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp(opts.from === undefined ? {} : { dialOpts: { localAddress: opts.from } as TCPSocketOptions })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
}
