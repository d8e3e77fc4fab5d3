// The gossip validators against a real chain: what is relayed (accept), what
// is dropped (ignore) and what costs the sender (reject), and that a block's
// header is judged before its body is decoded.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import protobuf from 'protobufjs'
import { Chain } from '../../src/chain/chain.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { COIN, regtest } from '../../src/core/params.js'
import { blockHash } from '../../src/core/block.js'
import { encodeBlock, encodeHeaderMessage } from '../../src/core/encoding.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { blockValidator } from '../../src/p2p/validation/block.js'
import { encodeHeaderAnnouncement, fullNodeHeaderValidator } from '../../src/p2p/validation/header.js'
import { judge, type GossipValidator } from '../../src/p2p/validation/result.js'
import { limitsFor } from '../../src/p2p/protocols.js'
import { genesisTip, mineBlock, mineChain, newKey, tempDir, tipOf, type Key } from '../../bench/support/chain-fixtures.js'
import { rand, solve } from '../../bench/support/core-fixtures.js'

let dir: ReturnType<typeof tempDir>
let chain: Chain
let miner: Key
let blocks: Block[]
const limits = limitsFor(regtest)

beforeEach(async () => {
  dir = tempDir()
  chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
  miner = newKey()
  blocks = mineChain(genesisTip(), 3, miner).blocks
  for (const b of blocks) await chain.processBlock(b)
})

afterEach(async () => {
  await chain.close()
  dir.remove()
})

/** A transaction spending an output that does not exist, with a garbage signature. */
function forgedSpend (): Transaction {
  return {
    version: 1,
    inputs: [{ prevTxid: rand(32), prevIndex: 0, publicKey: miner.pub, signature: rand(64) }],
    outputs: [{ amount: 1000n, address: miner.address }],
    lockTime: 0,
    coinbase: new Uint8Array(0)
  }
}

/** A block at the tip's height on the tip's parent (equal work): a coinbase of 500,000 coins and a forged spend. */
function invalidSideBlock (): Block {
  return mineBlock(tipOf(blocks[1], 2), [forgedSpend()], newKey(), { coinbaseAmount: 500_000n * COIN })
}

function blockGossip (): { validate: GossipValidator, accepted: Block[], orphansFrom: string[] } {
  const accepted: Block[] = []
  const orphansFrom: string[] = []
  const validate = blockValidator(chain, limits.blockMessageBytes, { onOrphan: from => orphansFrom.push(from), onAccepted: b => accepted.push(b) })
  return { validate, accepted, orphansFrom }
}

describe('block gossip validation', () => {
  it('relays a block it connected to the active chain', async () => {
    const { validate, accepted } = blockGossip()
    const next = mineBlock(tipOf(blocks[2], 3), [], miner)
    expect(await judge(validate, encodeBlock(next), 'peer')).toMatchObject({ verdict: 'accept' })
    expect(accepted).toHaveLength(1)
    expect(chain.height).toBe(4)
    // the same block again is a duplicate, known from its header alone
    expect(await judge(validate, encodeBlock(next), 'peer')).toMatchObject({ verdict: 'ignore', code: 'duplicate' })
  })

  it('does not relay a side block that passed only its header and stateless checks', async () => {
    const { validate, accepted } = blockGossip()
    const side = invalidSideBlock()
    const outcome = await judge(validate, encodeBlock(side), 'peer')
    expect(outcome).toMatchObject({ verdict: 'ignore', code: 'side-block' })
    expect(accepted).toHaveLength(0)
    expect(chain.height).toBe(3)
  })

  it('rejects a block on an invalid side block once the branch is found invalid', async () => {
    const { validate } = blockGossip()
    const side = invalidSideBlock()
    await judge(validate, encodeBlock(side), 'peer')
    // more work on the bad branch: connecting it finds the forged spend
    const child = mineBlock(tipOf(side, 3), [], newKey())
    expect(await judge(validate, encodeBlock(child), 'peer')).toMatchObject({ verdict: 'reject' })
    expect(chain.entryAt(3)!.hash).toEqual(blockHash(blocks[2].header))
  })

  it('rejects a 2 MB block for wrong bits from its header alone, its transaction bytes never decoded', async () => {
    const { validate } = blockGossip()
    // bits harder than the chain requires (proof of work valid for them), then ~2 MB that are no transactions at all
    const header = solve({ header: { version: 1, prevHash: blockHash(blocks[2].header), merkleRoot: rand(32), time: blocks[2].header.time + 1, bits: 0x2000ffff, nonce: 0 }, transactions: [] }).header
    const bytes = protobuf.Writer.create()
      .uint32((1 << 3) | 2).bytes(encodeHeaderMessage(header))
      .uint32((2 << 3) | 2).bytes(rand(limits.blockMessageBytes - 200))
      .finish()
    expect(bytes.length).toBeLessThanOrEqual(limits.blockMessageBytes)
    expect(bytes.length).toBeGreaterThan(limits.blockMessageBytes - 300)
    expect(await judge(validate, bytes, 'peer')).toMatchObject({ verdict: 'reject', code: 'header-bad-diffbits' })
  })

  it('rejects bad proof of work before decoding the body', async () => {
    const { validate } = blockGossip()
    const target = mineBlock(tipOf(blocks[2], 3), [], miner)
    let badPow = target.header
    for (let nonce = 0; ; nonce++) {
      badPow = { ...target.header, nonce }
      if (blockHash(badPow)[0] === 0xff) break
    }
    const bytes = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(encodeHeaderMessage(badPow)).uint32((2 << 3) | 2).bytes(rand(1000)).finish()
    expect(await judge(validate, bytes, 'peer')).toMatchObject({ verdict: 'reject', code: 'header-bad-pow' })
  })

  it('ignores an orphan and asks its sender to sync', async () => {
    const { validate, orphansFrom } = blockGossip()
    const grandchild = mineBlock(tipOf(mineBlock(tipOf(blocks[2], 3), [], miner), 4), [], miner)
    expect(await judge(validate, encodeBlock(grandchild), 'peer-x')).toMatchObject({ verdict: 'ignore', code: 'orphan' })
    expect(orphansFrom).toEqual(['peer-x'])
  })
})

describe('header gossip validation (full node)', () => {
  function headerGossip (): { validate: GossipValidator, unknownFrom: string[] } {
    const unknownFrom: string[] = []
    return { validate: fullNodeHeaderValidator(chain, limits.headerMessageBytes, from => unknownFrom.push(from)), unknownFrom }
  }

  it('accepts headers of blocks on the active chain only', async () => {
    const { validate, unknownFrom } = headerGossip()
    expect(await judge(validate, encodeHeaderAnnouncement(blocks[2].header), 'peer')).toMatchObject({ verdict: 'accept' })
    // a side block this node stored but never validated against its UTXO set
    const side = invalidSideBlock()
    expect((await chain.processBlock(side)).status).toBe('side')
    expect(await judge(validate, encodeHeaderAnnouncement(side.header), 'peer')).toMatchObject({ verdict: 'ignore', code: 'not-active' })
    expect(unknownFrom).toEqual([])
  })

  it('ignores the header of a block it lacks and asks the sender; rejects a header with bad bits', async () => {
    const { validate, unknownFrom } = headerGossip()
    const next = mineBlock(tipOf(blocks[2], 3), [], miner)
    expect(await judge(validate, encodeHeaderAnnouncement(next.header), 'peer-y')).toMatchObject({ verdict: 'ignore', code: 'unknown-block' })
    expect(unknownFrom).toEqual(['peer-y'])
    const wrongBits = solve({ header: { ...next.header, bits: 0x2000ffff, nonce: 0 }, transactions: [] }).header
    expect(await judge(validate, encodeHeaderAnnouncement(wrongBits), 'peer-y')).toMatchObject({ verdict: 'reject', code: 'header-bad-diffbits' })
  })
})

describe('verdicts', () => {
  it('maps a validator failing on our side to ignore, not to the sender\'s fault', async () => {
    const outcome = await judge(async () => { throw new Error('disk on fire') }, new Uint8Array(1), 'peer')
    expect(outcome).toMatchObject({ verdict: 'ignore', code: 'internal-error' })
    expect(outcome.error?.message).toBe('disk on fire')
  })
})
