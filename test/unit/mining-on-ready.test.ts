// A miner's search starts once the daemon is ready, not during its start:
// the daemon calls the node's ready() after node.json is written, and a
// FullNode started with `miningOnReady` mines only from then on.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startDaemon } from '../../src/cli/daemon.js'
import { FullNode } from '../../src/node/full-node.js'
import { Cleanup, testConfig, testLogger } from '../../bench/support/nodes.js'
import { FakeNode, FAKE_PEER_ID } from '../support/fake-node.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

describe('mining on ready', () => {
  it('the daemon calls ready() once, after node.json is written', async () => {
    const config = testConfig('miner', join(cleanup.tempDir(), 'data'))
    const seen: boolean[] = []
    const daemon = await startDaemon(config, testLogger('daemon'), {
      webDir: cleanup.tempDir(),
      startNode: async () => ({
        api: new FakeNode(),
        peerId: FAKE_PEER_ID,
        listen: [],
        stop: async () => {},
        ready: () => { seen.push(existsSync(join(config.dataDir, 'node.json'))) }
      })
    })
    cleanup.add(async () => await daemon.stop())
    expect(seen).toEqual([true])
  })

  it('a miner started with miningOnReady mines only after ready()', async () => {
    const config = testConfig('miner', cleanup.tempDir(), { mining: { enabled: true, threads: 1, payout: null } })
    const node = await FullNode.start(config, testLogger('miner'), { miningOnReady: true })
    cleanup.add(async () => await node.stop())
    expect(node.mining?.status().enabled).toBe(false)
    expect(node.chain.height).toBe(0)
    node.ready()
    expect(node.mining?.status().enabled).toBe(true)
  })

  it('a miner started without it mines from the start, as before', async () => {
    const config = testConfig('miner', cleanup.tempDir(), { mining: { enabled: true, threads: 1, payout: null } })
    const node = await FullNode.start(config, testLogger('miner'))
    cleanup.add(async () => await node.stop())
    expect(node.mining?.status().enabled).toBe(true)
  })
})
