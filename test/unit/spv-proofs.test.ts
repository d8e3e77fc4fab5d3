import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { blockHash } from '../../src/core/block.js'
import { ValidationError } from '../../src/core/errors.js'
import { merkleBranch } from '../../src/core/merkle.js'
import { regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { silentLogger } from '../../src/telemetry/logger.js'
import { NodeMetrics } from '../../src/telemetry/metrics.js'
import type { GossipService } from '../../src/p2p/gossip.js'
import type { P2PHost } from '../../src/p2p/host.js'
import { limitsFor, protocolsFor } from '../../src/p2p/protocols.js'
import { PeerReputation } from '../../src/p2p/reputation.js'
import type { MerkleProof } from '../../src/p2p/spv-messages.js'
import { HeaderChain } from '../../src/spv/header-chain.js'
import { LightClient } from '../../src/spv/light-client.js'
import { verifyProof } from '../../src/spv/proof-verifier.js'
import { ProvenTransactions } from '../../src/spv/proven-txs.js'
import { genesisTip, mineBlock, newKey, tempDir, tipOf, type Tip } from '../../bench/support/chain-fixtures.js'
import { spendTx } from '../../bench/support/core-fixtures.js'

let dir: ReturnType<typeof tempDir>
let headers: HeaderChain
const key = newKey()

/** Blocks on the active chain, each with a coinbase and `spends` (structurally valid) transactions. */
let blocks: Block[]

function proofOf (block: Block, height: number, index: number, over: Partial<MerkleProof> = {}): MerkleProof {
  const ids = block.transactions.map(txid)
  return { blockHash: blockHash(block.header), height, index, branch: merkleBranch(ids, index), tx: block.transactions[index], ...over }
}

function failure (proof: MerkleProof): ValidationError {
  try {
    verifyProof(proof, headers, regtest)
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    return err as ValidationError
  }
  throw new Error('expected the proof to be refused')
}

function chainOf (parent: Tip, count: number, spends: number, tag: number): { blocks: Block[], tip: Tip } {
  const out: Block[] = []
  let tip = parent
  for (let i = 0; i < count; i++) {
    const b = mineBlock(tip, Array.from({ length: spends }, () => spendTx(1, 2)), key, { tag })
    out.push(b)
    tip = tipOf(b, tip.height + 1)
  }
  return { blocks: out, tip }
}

beforeEach(async () => {
  dir = tempDir()
  headers = await HeaderChain.open({ location: dir.path, params: regtest })
  // 4 spends + coinbase = 5 leaves: an odd level, where Bitcoin's pairing rule duplicates a node
  blocks = chainOf(genesisTip(), 3, 4, 0).blocks
  await headers.processHeaders(blocks.map(b => b.header))
})

afterEach(async () => {
  await headers.close()
  dir.remove()
})

describe('proof verification', () => {
  it('accepts valid proofs of a coinbase and of every spend, with their confirmations', () => {
    for (let index = 0; index < 5; index++) {
      const v = verifyProof(proofOf(blocks[1], 2, index), headers, regtest)
      expect(v.txidHex).toBe(Buffer.from(txid(blocks[1].transactions[index])).toString('hex'))
      expect(v.entry.height).toBe(2)
      expect(headers.confirmations(v.entry)).toBe(2)
    }
  })

  it('rejects a forged branch', () => {
    const proof = proofOf(blocks[0], 1, 3)
    const branch = proof.branch.map(s => s.slice())
    branch[1][0] ^= 1
    const err = failure({ ...proof, branch })
    expect(err.code).toBe('proof-bad-branch')
    expect(err.severity).toBe('reject')
    expect(failure({ ...proof, branch: proof.branch.slice(0, -1) }).code).toMatch(/^proof-bad-/)
  })

  it('rejects a wrong index, including the phantom position of a duplicated node', () => {
    const proof = proofOf(blocks[0], 1, 3)
    expect(failure({ ...proof, index: 1 }).code).toBe('proof-bad-branch')
    expect(failure({ ...proof, index: 2 ** proof.branch.length }).code).toBe('proof-bad-index')
    // leaf 4 is alone on its level and hashed with itself: position 5 gives the same root
    const last = proofOf(blocks[0], 1, 4)
    expect(failure({ ...last, index: 5 }).code).toBe('proof-bad-index')
    // a spend claimed at the coinbase's position
    expect(failure({ ...proof, index: 0 }).code).toBe('proof-coinbase-position')
  })

  it('rejects a proof pointing at the wrong block or the wrong height', () => {
    const proof = proofOf(blocks[0], 1, 2)
    expect(failure({ ...proof, blockHash: blockHash(blocks[1].header), height: 2 }).code).toBe('proof-bad-branch')
    expect(failure({ ...proof, height: 2 }).code).toBe('proof-wrong-height')
  })

  it('rejects a transaction that is not the leaf, and one no block could hold', () => {
    const proof = proofOf(blocks[0], 1, 2)
    const other: Transaction = blocks[0].transactions[3]
    expect(failure({ ...proof, tx: other }).code).toBe('proof-bad-branch')
    const altered: Transaction = { ...proof.tx, outputs: [{ ...proof.tx.outputs[0], amount: proof.tx.outputs[0].amount + 1n }, proof.tx.outputs[1]] }
    expect(failure({ ...proof, tx: altered }).code).toBe('proof-bad-branch')
    const invalid: Transaction = { ...proof.tx, outputs: [] }
    expect(failure({ ...proof, tx: invalid }).code).toBe('proof-invalid-tx')
  })

  it('refuses (without blame) blocks that are not in our header chain or not on its active branch', () => {
    const unknown = chainOf(tipOf(blocks[2], 3), 1, 2, 0).blocks[0]
    const err = failure(proofOf(unknown, 4, 1))
    expect(err.code).toBe('proof-unknown-block')
    expect(err.severity).toBe('ignore')
  })

  it('refuses a proof in a side-branch block', async () => {
    const side = chainOf(genesisTip(), 1, 2, 7).blocks[0]
    await headers.processHeaders([side.header])
    const err = failure(proofOf(side, 1, 1))
    expect(err.code).toBe('proof-not-active')
    expect(err.severity).toBe('ignore')
  })
})

describe('proven transactions across reorgs', () => {
  it('drops proofs whose block left the active chain', async () => {
    const proven = new ProvenTransactions(headers)
    const early = verifyProof(proofOf(blocks[0], 1, 1), headers, regtest)
    const late = verifyProof(proofOf(blocks[2], 3, 1), headers, regtest)
    expect(proven.add(early)).toBe(true)
    expect(proven.add(late)).toBe(true)
    expect(proven.add(late)).toBe(false)
    // a heavier branch from block 2 takes block 3 off the active chain
    const fork = chainOf(tipOf(blocks[1], 2), 2, 1, 9)
    await headers.processHeaders(fork.blocks.map(b => b.header))
    expect(headers.height).toBe(4)
    const dropped = proven.recheck()
    expect(dropped.map(d => d.txidHex)).toEqual([late.txidHex])
    expect(proven.has(early.txidHex)).toBe(true)
    expect(proven.confirmations(early)).toBe(4)
    // and the stale proof no longer verifies
    expect(failure(proofOf(blocks[2], 3, 1)).code).toBe('proof-not-active')
  })
})

describe('light client: judging a reply', () => {
  const peer = peerIdFromString('12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp')

  function client (): { client: LightClient, proven: ProvenTransactions, metrics: NodeMetrics, reputation: PeerReputation } {
    const proven = new ProvenTransactions(headers)
    const metrics = new NodeMetrics()
    const reputation = new PeerReputation()
    const c = new LightClient({
      host: {} as unknown as P2PHost,
      gossip: {} as unknown as GossipService,
      headers,
      proven,
      params: regtest,
      protocols: protocolsFor(regtest.id),
      limits: limitsFor(regtest),
      reputation,
      metrics,
      log: silentLogger,
      addresses: () => []
    })
    return { client: c, proven, metrics, reputation }
  }

  async function count (metrics: NodeMetrics, which: 'spvProofsVerifiedTotal' | 'spvProofsRejectedTotal'): Promise<number> {
    return (await metrics[which].get()).values[0]?.value ?? 0
  }

  it('keeps verified proofs and counts them', async () => {
    const { client: c, proven, metrics, reputation } = client()
    const accepted = c.acceptProofs(peer, [proofOf(blocks[0], 1, 1), proofOf(blocks[1], 2, 0)])
    expect(accepted).toHaveLength(2)
    expect(proven.size).toBe(2)
    expect(await count(metrics, 'spvProofsVerifiedTotal')).toBe(2)
    expect(reputation.isBanned(peer.toString())).toBe(false)
  })

  it('bans a peer for one forged proof and drops its whole reply', async () => {
    const { client: c, proven, metrics, reputation } = client()
    const good = proofOf(blocks[0], 1, 1)
    const forged = { ...proofOf(blocks[0], 1, 2), tx: spendTx(1, 2) }
    expect(c.acceptProofs(peer, [good, forged])).toBeUndefined()
    expect(proven.size).toBe(0)
    expect(reputation.isBanned(peer.toString())).toBe(true)
    expect(await count(metrics, 'spvProofsRejectedTotal')).toBe(1)
    expect(await count(metrics, 'spvProofsVerifiedTotal')).toBe(0)
  })

  it('penalises (without a ban) valid proofs of transactions not asked about', () => {
    const { client: c, proven, reputation } = client()
    const accepted = c.acceptProofs(peer, [proofOf(blocks[0], 1, 1)], new Uint8Array(20).fill(7))
    expect(accepted).toHaveLength(0)
    expect(proven.size).toBe(0)
    expect(reputation.score(peer.toString())).toBeLessThan(0)
    expect(reputation.isBanned(peer.toString())).toBe(false)
  })
})
