// Starts the daemon's node for its configured role.
import type { NodeConfig } from './config.js'
import type { Logger } from '../telemetry/logger.js'
import type { NodeApi } from './node-api.js'

export interface RunningNode {
  api: NodeApi
  peerId: string
  listen: string[]
  stop: () => Promise<void>
  /**
   * Resolves with the error when the node cannot go on (a failed write to its
   * data dir): the daemon then stops it and exits non-zero.
   */
  fatal?: Promise<Error>
  /** Called once the daemon is ready (API listening, node.json written): a miner starts mining then. */
  ready?: () => void
}

export async function startNode (config: NodeConfig, log: Logger): Promise<RunningNode> {
  if (config.role === 'spv') {
    const { SpvNode } = await import('./spv-node.js')
    const node = await SpvNode.start(config, log)
    return { api: node, peerId: node.peerId, get listen () { return node.listen }, stop: async () => await node.stop(), fatal: node.fatal.promise }
  }
  const { FullNode } = await import('./full-node.js')
  const node = await FullNode.start(config, log, { miningOnReady: true })
  return { api: node, peerId: node.peerId, get listen () { return node.listen }, stop: async () => await node.stop(), fatal: node.fatal.promise, ready: () => node.ready() }
}
