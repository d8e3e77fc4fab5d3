// Gossip messages are unsigned and identified by the hash of their content:
// identical content from two peers is one message. Its own file so that the
// host (which configures gossipsub) and gossip.ts do not import each other.
import type { Message } from '@libp2p/gossipsub'
import { sha256 } from '../core/hash.js'

export function contentMessageId (msg: Message): Uint8Array {
  return sha256(msg.data)
}
