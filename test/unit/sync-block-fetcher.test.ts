// The block fetcher alone, over a fake request function: which peer it asks
// for headers when one fails, what happens to blocks a failed worker was
// fetching, and what a peer pays for blocks nobody asked it for. (Over the
// wire the same paths are covered by the hostile-sync integration tests.)
import type { PeerId } from '@libp2p/interface'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { blockHash, blockHashHex } from '../../src/core/block.js'
import { fromHex, toHex } from '../../src/core/bytes.js'
import { regtest } from '../../src/core/params.js'
import type { Block } from '../../src/core/types.js'
import { txid } from '../../src/core/tx.js'
import { Chain } from '../../src/chain/chain.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { silentLogger } from '../../src/telemetry/logger.js'
import { BlockFetcher } from '../../src/p2p/block-fetcher.js'
import { PeerAction } from '../../src/p2p/peer-actions.js'
import { PeerStatus } from '../../src/p2p/peer-status.js'
import { limitsFor } from '../../src/p2p/protocols.js'
import { PeerReputation } from '../../src/p2p/reputation.js'
import { serveHeaders } from '../../src/p2p/serve-headers.js'
import type { SyncRequest, SyncResponse } from '../../src/p2p/sync-messages.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tempDir, tipOf } from '../../bench/support/chain-fixtures.js'

const limits = limitsFor(regtest)
const HEIGHT = 6

let dirs: Array<ReturnType<typeof tempDir>>
/** What the honest peers have. */
let source: Chain
let blocks: Block[]
/** The node that syncs. */
let chain: Chain
let reputation: PeerReputation
let peers: PeerStatus
let fetcher: BlockFetcher
/** Every request made, in order. */
let asked: Array<{ peer: string, req: SyncRequest }>
/** Per peer, how it answers (default: honestly, from `source`). */
let behaviour: Map<string, (req: SyncRequest) => Promise<SyncResponse>>
/** The fake request function the fetcher is given. */
let request: (peer: PeerId, req: SyncRequest) => Promise<SyncResponse>

function peerId (id: string): PeerId {
  return { toString: () => id } as unknown as PeerId
}

async function honest (req: SyncRequest): Promise<SyncResponse> {
  if (req.kind === 'getHeaders') return { kind: 'headers', headers: serveHeaders(source, req, limits.headersPerReply) }
  if (req.kind === 'getBlocks') {
    const found = req.hashes.map(h => blocks.find(b => blockHashHex(b.header) === toHex(h))).filter((b): b is Block => b !== undefined)
    return { kind: 'blocks', blocks: found, notFound: [] }
  }
  throw new Error(`unexpected ${req.kind}`)
}

/** The syncing node's verifier: the reference one, counting the calls that announce many blocks (prepare). */
class PreparedVerifier extends NobleVerifier {
  prepared = 0
  prepare (): void { this.prepared++ }
}
let verifier: PreparedVerifier

async function open (v: NobleVerifier = new NobleVerifier()): Promise<Chain> {
  const dir = tempDir()
  dirs.push(dir)
  return await Chain.open({ location: dir.path, params: regtest, verifier: v })
}

/** A connected peer that claims the source chain; `trustedAt` set: it has delivered headers before. */
function claimSourceChain (id: string, trustedAt?: number): void {
  const tip = source.tip
  peers.record(id, peerId(id), { genesis: fromHex(regtest.genesisHash), tip: tip.hash, height: tip.height, work: tip.work })
  const state = peers.states.get(id)
  if (state === undefined) throw new Error('status not recorded')
  state.trustedAt = trustedAt
}

const score = (id: string): number => reputation.score(id)

beforeEach(async () => {
  dirs = []
  source = await open()
  blocks = mineChain(genesisTip(), HEIGHT, newKey()).blocks
  for (const b of blocks) await source.processBlock(b)
  verifier = new PreparedVerifier()
  chain = await open(verifier)
  // a fixed clock: penalties do not decay while the test runs
  reputation = new PeerReputation({ now: () => 1_000_000 })
  asked = []
  behaviour = new Map()
  request = async (peer: PeerId, req: SyncRequest): Promise<SyncResponse> => {
    asked.push({ peer: peer.toString(), req })
    return await (behaviour.get(peer.toString()) ?? honest)(req)
  }
  peers = new PeerStatus({ chain, reputation, log: silentLogger, request, ourStatus: () => { throw new Error('no status exchange here') }, connected: () => [], onBehind: () => {} })
  fetcher = new BlockFetcher({ chain, limits, peers, reputation, request, log: silentLogger, schedule: () => {} })
})

afterEach(async () => {
  fetcher.halt()
  await fetcher.settled()
  await chain.close()
  await source.close()
  for (const d of dirs) d.remove()
})

describe('headers from trusted peers (the foreground lane)', () => {
  it('a failed request makes the same round ask the next trusted peer, and the failing peer pays and loses its trust', async () => {
    claimSourceChain('first', 1)
    claimSourceChain('second', 2)
    behaviour.set('first', async () => { throw new Error('stream timeout') })
    await fetcher.syncFromTrusted()
    expect(asked.map(a => `${a.peer}:${a.req.kind}`)).toEqual(['first:getHeaders', 'second:getHeaders'])
    expect(chain.bestHeader().height).toBe(HEIGHT)
    expect(score('first')).toBe(-PeerAction.HEADERS_NOT_DELIVERED.points)
    expect(score('second')).toBe(0)
    const first = peers.states.get('first')
    expect(first?.trustedAt).toBeUndefined()
    expect(first?.retryAfter).toBeGreaterThan(Date.now())
    // after the back-off starts, the failed peer is not a candidate any more
    expect(peers.claimers().map(s => s.peer.toString())).not.toContain('first')
  })

  it('a peer whose headers end short of the work it claimed is charged for unproven work', async () => {
    claimSourceChain('short', 1)
    behaviour.set('short', async (req) => {
      if (req.kind !== 'getHeaders') throw new Error('headers only')
      return { kind: 'headers', headers: serveHeaders(source, req, limits.headersPerReply).slice(0, 2) }
    })
    await fetcher.syncFromTrusted()
    expect(chain.bestHeader().height).toBe(2)
    expect(score('short')).toBe(-PeerAction.UNPROVEN_WORK.points)
    expect(peers.states.get('short')?.trustedAt).toBeUndefined()
  })
})

describe('block download', () => {
  beforeEach(async () => {
    await chain.processHeaders(blocks.map(b => b.header))
    expect(chain.missingBlocks(100)).toHaveLength(HEIGHT)
  })

  it('gets the verifier ready (prepare) for a reply carrying enough signatures, never for blocks without spends', async () => {
    const key = newKey()
    const mature = mineChain(tipOf(blocks[HEIGHT - 1], HEIGHT), regtest.coinbaseMaturity + 1, key)
    // a block of one spend (one signature: a fan-out) and one of three (the fan-out's outputs spent)
    const fan = spend([mature.coinbases[0]], [1n, 2n, 3n].map(n => ({ address: key.address, amount: n * 1_000_000n })))
    const a = mineBlock(mature.tip, [fan], key, { fees: mature.coinbases[0].amount - 6_000_000n })
    const fanId = txid(fan)
    const spends = fan.outputs.map((o, index) => spend([{ txid: fanId, index, amount: o.amount, key }], [{ address: key.address, amount: o.amount - 1000n }]))
    const b = mineBlock(tipOf(a, mature.tip.height + 1), spends, key, { fees: 3000n })
    for (const blk of [...mature.blocks, a, b]) await source.processBlock(blk)
    // one block a reply, prepared from three signatures in one
    fetcher = new BlockFetcher({ chain, limits: { ...limits, blocksPerReply: 1 }, peers, reputation, request, log: silentLogger, schedule: () => {}, prepareFromSignatures: 3 })
    // each round: the peer claims (and we hold the headers of) the chain up to `more`'s last block
    const round = async (more: Block[]): Promise<void> => {
      blocks = [...blocks, ...more]
      await chain.processHeaders(more.map(blk => blk.header))
      const tip = chain.getEntry(blockHashHex(more[more.length - 1].header))
      if (tip === undefined) throw new Error('headers not stored')
      peers.record('peer', peerId('peer'), { genesis: fromHex(regtest.genesisHash), tip: tip.hash, height: tip.height, work: tip.work })
      expect(await fetcher.downloadBlocks()).toBe(true)
    }
    // many replies of coinbase-only blocks: nothing to verify, nothing started
    await round(mature.blocks)
    expect(chain.height).toBe(HEIGHT + mature.blocks.length)
    expect(verifier.prepared).toBe(0)
    // a's reply carries one signature, b's three
    await round([a, b])
    expect(chain.height).toBe(HEIGHT + mature.blocks.length + 2)
    expect(verifier.prepared).toBe(1)
  })

  it('fetches from another peer the blocks a failed worker handed back', async () => {
    claimSourceChain('failing')
    claimSourceChain('good')
    behaviour.set('failing', async () => { throw new Error('stream reset') })
    expect(await fetcher.downloadBlocks()).toBe(true)
    expect(chain.height).toBe(HEIGHT)
    const blocksAsked = (peer: string): Set<string> => new Set(asked.filter(a => a.peer === peer && a.req.kind === 'getBlocks').flatMap(a => a.req.kind === 'getBlocks' ? a.req.hashes.map(toHex) : []))
    // the failing peer's workers were first in line and took blocks...
    expect(blocksAsked('failing').size).toBeGreaterThan(0)
    // ...and every one of them came from the other peer
    expect(blocksAsked('good')).toEqual(new Set(blocks.map(b => blockHashHex(b.header))))
    for (const hash of blocksAsked('failing')) expect(blocksAsked('good').has(hash)).toBe(true)
  })

  it('connects each block as it is processed when a later reply arrives first (one write per block, signatures verified on arrival)', async () => {
    // replies of two blocks, so the peer's two workers share the chain; the
    // first reply is held back until the second has arrived
    fetcher = new BlockFetcher({ chain, limits: { ...limits, blocksPerReply: 2 }, peers, reputation, request: async (peer, req) => await request(peer, req), log: silentLogger, schedule: () => {} })
    claimSourceChain('peer')
    let second: () => void = () => {}
    const secondArrived = new Promise<void>(resolve => { second = resolve })
    let replies = 0
    behaviour.set('peer', async (req) => {
      const n = replies++
      const res = await honest(req)
      if (n === 0) await secondArrived
      if (n === 1) setImmediate(second)
      return res
    })
    const statuses: string[] = []
    chain.on('processed', status => statuses.push(status))
    expect(await fetcher.downloadBlocks()).toBe(true)
    expect(chain.height).toBe(HEIGHT)
    // no block was stored ahead of its parent ('side') to be read back and connected later
    expect(statuses).toEqual(Array(HEIGHT).fill('connected'))
  })

  it('charges a peer for a block it was not asked for, and stores none of its reply', async () => {
    claimSourceChain('stuffer')
    const foreign = mineChain(genesisTip(), 1, newKey(), 1).blocks[0]
    behaviour.set('stuffer', async () => ({ kind: 'blocks', blocks: [foreign, ...blocks], notFound: [] }))
    expect(await fetcher.downloadBlocks()).toBe(false)
    const requests = asked.filter(a => a.req.kind === 'getBlocks').length
    expect(requests).toBeGreaterThan(0)
    expect(score('stuffer')).toBe(-PeerAction.UNREQUESTED_BLOCK.points * requests)
    expect(chain.getEntry(toHex(blockHash(foreign.header)))).toBeUndefined()
    expect(chain.height).toBe(0)
  })

  it('charges a peer for an invalid block once per reply that held it: the blocks before it connect, its body is not stored', async () => {
    fetcher = new BlockFetcher({ chain, limits, peers, reputation, request: async (peer, req) => await request(peer, req), log: silentLogger, schedule: () => {} })
    claimSourceChain('liar')
    // block 3's body does not match its header (its coinbase pays another amount)
    const bad = structuredClone(blocks[2])
    bad.transactions[0].outputs[0].amount -= 1n
    behaviour.set('liar', async (req) => {
      if (req.kind !== 'getBlocks') return await honest(req)
      const res = await honest(req)
      if (res.kind !== 'blocks') return res
      return { ...res, blocks: res.blocks.map(b => b === blocks[2] ? bad : b) }
    })
    await fetcher.downloadBlocks()
    expect(chain.height).toBe(2)
    // once per reply that held it (each of the peer's two workers may ask for it)
    const badHash = blockHashHex(blocks[2].header)
    const replies = asked.filter(a => a.req.kind === 'getBlocks' && a.req.hashes.some(h => toHex(h) === badHash)).length
    expect(replies).toBeGreaterThan(0)
    expect(score('liar')).toBe(-PeerAction.INVALID_BLOCK.points * replies)
    // the bad body is not stored (its header stays, a later honest reply may deliver the block)
    expect(chain.getBlock(badHash)).toBeUndefined()
  })
})
