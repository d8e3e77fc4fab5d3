// The getBlocks case of the sync server: duplicates refused before any read,
// and a reply no larger than the peer's byte allowance (the first block
// always, so one large block never stalls a peer).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { regtest } from '../../src/core/params.js'
import { encodeBlock } from '../../src/core/encoding.js'
import { blockHash } from '../../src/core/block.js'
import { Chain } from '../../src/chain/chain.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { limitsFor } from '../../src/p2p/protocols.js'
import { InvalidRequestError } from '../../src/p2p/rpc.js'
import { PeerAction } from '../../src/p2p/peer-actions.js'
import { SERVE_REPLY_TARGET_BYTES, SyncServer } from '../../src/p2p/sync-server.js'
import { decodeSyncResponse, encodeSyncRequest } from '../../src/p2p/sync-messages.js'
import type { Block } from '../../src/core/types.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tempDir, tipOf } from '../../bench/support/chain-fixtures.js'

let dir: ReturnType<typeof tempDir>
let chain: Chain
let blocks: Block[]
const limits = limitsFor(regtest)

beforeEach(async () => {
  dir = tempDir()
  chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
  blocks = mineChain(genesisTip(), 6, newKey()).blocks
  for (const b of blocks) await chain.processBlock(b)
})

afterEach(async () => {
  await chain.close()
  dir.remove()
})

/** The server alone: it needs no host. */
function server (): SyncServer {
  return new SyncServer({ chain, limits })
}

async function blocksServed (hashes: Uint8Array[], maxBytes: number): Promise<number> {
  const reply = await server().serve(encodeSyncRequest({ kind: 'getBlocks', hashes }), 'peer', { maxBytes })
  const res = decodeSyncResponse(reply, limits.responseBytes, limits.headersPerReply, limits.blocksPerReply)
  if (res.kind !== 'blocks') throw new Error(`unexpected ${res.kind}`)
  return res.blocks.length
}

describe('getBlocks', () => {
  it('refuses a request naming one block twice, as a protocol violation with its own penalty', async () => {
    const h = blockHash(blocks[2].header)
    const err = await server().serve(encodeSyncRequest({ kind: 'getBlocks', hashes: [blockHash(blocks[1].header), h, h] }), 'peer', { maxBytes: 1e9 }).catch(e => e)
    expect(err).toBeInstanceOf(InvalidRequestError)
    expect((err as InvalidRequestError).action).toBe(PeerAction.DUPLICATE_REQUEST_ITEMS)
  })

  it('serves no more than the peer\'s allowance, but always the first block', async () => {
    const hashes = blocks.map(b => blockHash(b.header))
    const firstThree = blocks.slice(0, 3).reduce((n, b) => n + encodeBlock(b).length, 0)
    expect(await blocksServed(hashes, 1e9)).toBe(6)
    expect(await blocksServed(hashes, firstThree)).toBe(3)
    expect(await blocksServed(hashes, firstThree - 1)).toBe(2)
    expect(await blocksServed(hashes, 1)).toBe(1)
  })

  it('carries at most SERVE_REPLY_TARGET_BYTES of blocks whatever the peer may be sent, so a client gets full blocks a few at a time', async () => {
    // five blocks of ~140 KB: each holds two fan-outs of 2,500 outputs (a transaction is at most 100 KB)
    const key = newKey()
    const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 10, key)
    for (const b of mined.blocks) await chain.processBlock(b)
    let tip = mined.tip
    const big: Block[] = []
    for (let i = 0; i < 5; i++) {
      const txs = [mined.coinbases[2 * i], mined.coinbases[2 * i + 1]].map(cb => spend([cb], Array.from({ length: 2500 }, () => ({ address: key.address, amount: cb.amount / 2501n }))))
      const fees = [mined.coinbases[2 * i], mined.coinbases[2 * i + 1]].reduce((f, cb) => f + cb.amount - (cb.amount / 2501n) * 2500n, 0n)
      const block = mineBlock(tip, txs, key, { fees })
      await chain.processBlock(block)
      tip = tipOf(block, tip.height + 1)
      big.push(block)
    }
    expect(chain.height).toBe(tip.height)
    const sizes = big.map(b => encodeBlock(b).length)
    expect(sizes[0]).toBeGreaterThan(120_000)
    let fit = 0
    for (let total = 0; fit < sizes.length && total + sizes[fit] <= SERVE_REPLY_TARGET_BYTES; fit++) total += sizes[fit]
    expect(fit).toBeLessThan(5)
    expect(await blocksServed(big.map(b => blockHash(b.header)), 1e9)).toBe(fit)
  })
})
