// What a node refuses, said in the node's terms. The HTTP API maps each kind
// to a status code in one place (src/api/respond.ts); node code knows no HTTP.
export type NodeErrorKind =
  /** The request is malformed or breaks a rule (bad address, invalid transaction, not a miner). */
  | 'invalid'
  /** It is already done (a transaction already known). */
  | 'conflict'
  /** The node does not have what was asked (an SPV node's block data, another wallet's history). */
  | 'not-found'
  /** The node's own storage failed; the request may succeed later. */
  | 'unavailable'

export class NodeError extends Error {
  constructor (readonly kind: NodeErrorKind, readonly code: string, message: string) {
    super(message)
    this.name = 'NodeError'
  }
}
