// Issue 16.1 and issue 9.7 at the server: address history pages by a
// (height, txid) cursor, so 1,000 entries in one block come out exactly once
// each, in order; and what one reply may read from storage is bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../src/core/bytes.js'
import { regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import { Chain } from '../../src/chain/chain.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { silentLogger } from '../../src/telemetry/logger.js'
import type { P2PHost } from '../../src/p2p/host.js'
import { limitsFor, protocolsFor } from '../../src/p2p/protocols.js'
import { PeerReputation } from '../../src/p2p/reputation.js'
import { decodeSpvResponse, encodeSpvRequest, spvLimitsOf, type MerkleProof, type SpvRequest, type SpvResponse } from '../../src/p2p/spv-messages.js'
import { SpvServer, type SpvServerOptions } from '../../src/p2p/spv-server.js'
import { HeaderChain } from '../../src/spv/header-chain.js'
import { verifyProof } from '../../src/spv/proof-verifier.js'
import { newKey, tempDir } from '../../bench/support/chain-fixtures.js'
import { crowdedChain } from '../support/spv-fixtures.js'

const limits = limitsFor(regtest)
let chainDir: ReturnType<typeof tempDir>
let headerDir: ReturnType<typeof tempDir>
let chain: Chain
let headers: HeaderChain
const miner = newKey()
const victim = newKey()
let paymentIds: string[]

function server (opts: Partial<SpvServerOptions> = {}): SpvServer {
  return new SpvServer({ host: {} as unknown as P2PHost, chain, protocols: protocolsFor(regtest.id), limits, reputation: new PeerReputation(), log: silentLogger, ...opts })
}

async function ask (s: SpvServer, req: SpvRequest): Promise<SpvResponse> {
  return decodeSpvResponse(await s.handle(encodeSpvRequest(req)), spvLimitsOf(limits, limits.responseBytes))
}

/** Pages through an address's history the way the light client does: from the last proof's (height, txid). */
async function pageAll (s: SpvServer, address: Uint8Array): Promise<{ proofs: MerkleProof[], pages: number }> {
  const proofs: MerkleProof[] = []
  let cursor: { height: number, txid?: Uint8Array } = { height: 0 }
  for (let pages = 1; pages < 100; pages++) {
    const res = await ask(s, { kind: 'getAddressHistory', address, fromHeight: cursor.height, max: 0, ...(cursor.txid !== undefined ? { afterTxid: cursor.txid } : {}) })
    if (res.kind !== 'proofs') throw new Error(`unexpected ${res.kind}`)
    proofs.push(...res.proofs)
    if (!res.more) return { proofs, pages }
    const last = res.proofs[res.proofs.length - 1]
    cursor = { height: last.height, txid: txid(last.tx) }
  }
  throw new Error('no end')
}

beforeAll(async () => {
  chainDir = tempDir()
  headerDir = tempDir()
  chain = await Chain.open({ location: chainDir.path, params: regtest, verifier: new NobleVerifier() })
  headers = await HeaderChain.open({ location: headerDir.path, params: regtest })
  const crowded = crowdedChain(miner, victim.address, 1000)
  for (const b of crowded.blocks) expect((await chain.processBlock(b)).status).toBe('connected')
  await headers.processHeaders(crowded.blocks.map(b => b.header))
  paymentIds = crowded.payments.map(t => toHex(txid(t)))
}, 120_000)

afterAll(async () => {
  await chain.close()
  await headers.close()
  chainDir.remove()
  headerDir.remove()
})

describe('spv server: address history by (height, txid) cursor', () => {
  it('serves 1,000 entries of one block exactly once each, in (height, txid) order, across pages', async () => {
    const { proofs, pages } = await pageAll(server(), victim.address)
    expect(pages).toBe(5)
    const ids = proofs.map(p => toHex(txid(p.tx)))
    expect(new Set(ids).size).toBe(1000)
    expect([...ids].sort()).toEqual([...paymentIds].sort())
    // txid order within the height: what makes the cursor exact
    expect(ids).toEqual([...ids].sort())
    for (const p of proofs.slice(0, 50)) expect(verifyProof(p, headers, regtest).entry.height).toBe(6)
  })

  it('names its tip in every history reply', async () => {
    const res = await ask(server(), { kind: 'getAddressHistory', address: victim.address, fromHeight: 7, max: 0 })
    if (res.kind !== 'proofs') throw new Error(res.kind)
    expect(res.proofs).toEqual([])
    expect(res.more).toBe(false)
    expect(res.tip !== undefined && [toHex(res.tip.hash), res.tip.height]).toEqual([chain.tip.hashHex, 6])
  })

  it('bounds the blocks one reply reads, and still makes progress', async () => {
    // the miner has a coinbase in every block: six blocks of history
    const s = server({ blocksPerReply: 2 })
    const first = await ask(s, { kind: 'getAddressHistory', address: miner.address, fromHeight: 0, max: 0 })
    if (first.kind !== 'proofs') throw new Error(first.kind)
    expect(new Set(first.proofs.map(p => toHex(p.blockHash))).size).toBe(2)
    expect(first.more).toBe(true)
    // a reply always holds at least one block, however small the budget
    const tiny = server({ blocksPerReply: 0, blockBytesPerReply: 0 })
    const one = await ask(tiny, { kind: 'getAddressHistory', address: miner.address, fromHeight: 0, max: 0 })
    expect(one.kind === 'proofs' && one.proofs.length).toBe(1)
  })

  it('keeps the Merkle tree cache within its byte bound', async () => {
    // the 1,000-transaction block's tree is ~72 KB: with the small ones it passes 64 KB, so older ones go
    const s = server({ treeCacheBytes: 64 * 1024 })
    const { proofs } = await pageAll(s, miner.address)
    expect(proofs.length).toBeGreaterThanOrEqual(6)
    const stats = s.cacheStats()
    // the big tree came last and alone passes the bound: everything older was evicted
    expect(stats.blocks).toBe(1)
    const small = server({ treeCacheBytes: 1000 })
    for (let h = 1; h <= 5; h++) await ask(small, { kind: 'getTxProof', txid: txid(chain.getBlock(chain.entryAt(h)!.hash)!.transactions[0]) })
    expect(small.cacheStats().bytes).toBeLessThanOrEqual(1000)
    expect(small.cacheStats().blocks).toBeGreaterThan(1)
    // a tree larger than the whole bound is the one entry allowed past it (the reply needs it)
    const big = server({ treeCacheBytes: 1024 })
    await ask(big, { kind: 'getTxProof', txid: txid(chain.getBlock(chain.entryAt(1)!.hash)!.transactions[0]) })
    await ask(big, { kind: 'getTxProof', txid: Buffer.from(paymentIds[0], 'hex') })
    expect(big.cacheStats().blocks).toBe(1)
  })
})

describe('spv messages: the history cursor and the named tip', () => {
  it('round-trip, and a lone tip_height or a short cursor is refused', async () => {
    const { decodeSpvRequest, encodeSpvResponse } = await import('../../src/p2p/spv-messages.js')
    const { wire } = await import('../../src/core/wire/schema.js')
    const req = { kind: 'getAddressHistory' as const, address: victim.address, fromHeight: 6, max: 10, afterTxid: Buffer.from(paymentIds[0], 'hex') }
    const back = decodeSpvRequest(encodeSpvRequest(req), spvLimitsOf(limits, limits.requestBytes))
    expect(back.kind === 'getAddressHistory' && [back.fromHeight, toHex(back.afterTxid!)]).toEqual([6, paymentIds[0]])
    const short = wire.SpvRequest.encode({ getAddressHistory: { address: victim.address, fromHeight: 6, max: 1, afterTxid: new Uint8Array(31) } }).finish()
    expect(() => decodeSpvRequest(short, spvLimitsOf(limits, limits.requestBytes))).toThrow(/32 bytes/)
    const tipped = decodeSpvResponse(encodeSpvResponse({ kind: 'proofs', proofs: [], more: false, tip: { hash: chain.tip.hash, height: 6 } }), spvLimitsOf(limits, limits.responseBytes))
    expect(tipped.kind === 'proofs' && tipped.tip?.height).toBe(6)
    const lone = wire.SpvResponse.encode({ proofs: { proofs: [], more: false, tipHeight: 6 } }).finish()
    expect(() => decodeSpvResponse(lone, spvLimitsOf(limits, limits.responseBytes))).toThrow(/canonical/)
  })
})
