import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { blockHash } from '../../src/core/block.js'
import { toHex } from '../../src/core/bytes.js'
import { dsha256 } from '../../src/core/hash.js'
import { merkleBranch } from '../../src/core/merkle.js'
import { regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import { Chain } from '../../src/chain/chain.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { silentLogger } from '../../src/telemetry/logger.js'
import type { P2PHost } from '../../src/p2p/host.js'
import { limitsFor, protocolsFor, type WireLimits } from '../../src/p2p/protocols.js'
import { PeerReputation } from '../../src/p2p/reputation.js'
import { InvalidRequestError } from '../../src/p2p/rpc.js'
import { decodeSpvResponse, encodeSpvRequest, spvLimitsOf, type SpvRequest, type SpvResponse } from '../../src/p2p/spv-messages.js'
import { branchFromLevels, SpvServer } from '../../src/p2p/spv-server.js'
import { HeaderChain } from '../../src/spv/header-chain.js'
import { verifyProof } from '../../src/spv/proof-verifier.js'
import { genesisTip, mineBlock, mineChain, newKey, outputsOf, spend, tempDir, tipOf, type Key } from '../../bench/support/chain-fixtures.js'

let chainDir: ReturnType<typeof tempDir>
let headerDir: ReturnType<typeof tempDir>
let chain: Chain
let headers: HeaderChain
let alice: Key
let bob: Key
const payments: string[] = []

function server (limits: WireLimits = limitsFor(regtest)): SpvServer {
  // handle() needs no network: the host is only used by start()/stop()
  return new SpvServer({ host: {} as unknown as P2PHost, chain, protocols: protocolsFor(regtest.id), limits, reputation: new PeerReputation(), log: silentLogger })
}

async function ask (s: SpvServer, req: SpvRequest, limits: WireLimits = limitsFor(regtest)): Promise<SpvResponse> {
  return decodeSpvResponse(await s.handle(encodeSpvRequest(req)), spvLimitsOf(limits, limits.responseBytes))
}

beforeEach(async () => {
  chainDir = tempDir()
  headerDir = tempDir()
  chain = await Chain.open({ location: chainDir.path, params: regtest, verifier: new NobleVerifier() })
  headers = await HeaderChain.open({ location: headerDir.path, params: regtest })
  alice = newKey()
  bob = newKey()
  payments.length = 0
  // alice mines 4 blocks; at height 5 she pays bob from two mature coinbases, in two transactions
  const { blocks, tip, coinbases } = mineChain(genesisTip(), 4, alice)
  for (const b of blocks) await chain.processBlock(b)
  const pay1 = spend([coinbases[0]], [{ address: bob.address, amount: 1000n }, { address: alice.address, amount: coinbases[0].amount - 1100n }])
  const pay2 = spend([coinbases[1]], [{ address: bob.address, amount: 2000n }])
  payments.push(toHex(txid(pay1)), toHex(txid(pay2)))
  const b5 = mineBlock(tip, [pay1, pay2], alice, { fees: 100n + coinbases[1].amount - 2000n })
  expect((await chain.processBlock(b5)).status).toBe('connected')
  // bob spends what alice sent him at height 6
  const b6 = mineBlock(tipOf(b5, 5), [spend(outputsOf(pay1, bob), [{ address: alice.address, amount: 900n }])], alice, { fees: 100n })
  expect((await chain.processBlock(b6)).status).toBe('connected')
  await headers.processHeaders(chain.headersAfter([blockHash(regtest.genesis.header)], 2000))
  expect(headers.height).toBe(6)
})

afterEach(async () => {
  await chain.close()
  await headers.close()
  chainDir.remove()
  headerDir.remove()
})

describe('spv server', () => {
  it('serves active-chain headers after a locator, bounded', async () => {
    const s = server()
    const all = await ask(s, { kind: 'getHeaders', locator: [blockHash(regtest.genesis.header)], stop: new Uint8Array(0), max: 0 })
    expect(all.kind === 'headers' && all.headers.length).toBe(6)
    const two = await ask(s, { kind: 'getHeaders', locator: [chain.entryAt(2)!.hash], stop: new Uint8Array(0), max: 2 })
    expect(two.kind === 'headers' && two.headers.map(h => toHex(blockHash(h)))).toEqual([chain.entryAt(3)!.hashHex, chain.entryAt(4)!.hashHex])
    const capped = await ask(s, { kind: 'getHeaders', locator: [], stop: new Uint8Array(0), max: 1_000_000 })
    expect(capped.kind === 'headers' && capped.headers.length).toBe(7)
  })

  it('proves the history of an address (received and spent) and every proof verifies', async () => {
    const s = server()
    const res = await ask(s, { kind: 'getAddressHistory', address: bob.address, fromHeight: 0, max: 0 })
    if (res.kind !== 'proofs') throw new Error(`unexpected ${res.kind}`)
    expect(res.more).toBe(false)
    expect(res.proofs.map(p => p.height)).toEqual([5, 5, 6])
    for (const p of res.proofs) {
      const v = verifyProof(p, headers, regtest)
      const block = chain.getBlock(p.blockHash)!
      expect(p.branch.map(toHex)).toEqual(merkleBranch(block.transactions.map(txid), p.index).map(toHex))
      expect(v.entry.height).toBe(p.height)
    }
    expect(res.proofs.slice(0, 2).map(p => toHex(txid(p.tx))).sort()).toEqual([...payments].sort())
  })

  it('cuts a long history at the reply limit and says so', async () => {
    const limits = { ...limitsFor(regtest), proofsPerReply: 2 }
    const s = server(limits)
    const first = await ask(s, { kind: 'getAddressHistory', address: alice.address, fromHeight: 0, max: 50 }, limits)
    expect(first.kind === 'proofs' && first.proofs.length).toBe(2)
    expect(first.kind === 'proofs' && first.more).toBe(true)
    const rest = await ask(s, { kind: 'getAddressHistory', address: alice.address, fromHeight: 3, max: 50 }, limits)
    expect(rest.kind === 'proofs' && rest.proofs.map(p => p.height)).toEqual([3, 4])
    const tail = await ask(s, { kind: 'getAddressHistory', address: alice.address, fromHeight: 6, max: 50 }, limits)
    expect(tail.kind === 'proofs' && tail.more).toBe(false)
  })

  it('proves one transaction by txid, or answers not-found', async () => {
    const s = server()
    const res = await ask(s, { kind: 'getTxProof', txid: Buffer.from(payments[1], 'hex') })
    if (res.kind !== 'proofs') throw new Error(`unexpected ${res.kind}`)
    expect(res.proofs).toHaveLength(1)
    expect(verifyProof(res.proofs[0], headers, regtest).txidHex).toBe(payments[1])
    const missing = await ask(s, { kind: 'getTxProof', txid: dsha256(new Uint8Array([1, 2, 3])) })
    expect(missing).toEqual({ kind: 'error', code: 'not-found', message: expect.any(String) })
  })

  it('answers malformed requests with InvalidRequestError (the peer pays a penalty)', async () => {
    const s = server()
    await expect(s.handle(new Uint8Array([0xff, 0xff, 0xff]))).rejects.toBeInstanceOf(InvalidRequestError)
    await expect(s.handle(encodeSpvRequest({ kind: 'getAddressHistory', address: new Uint8Array(19), fromHeight: 0, max: 1 }))).rejects.toBeInstanceOf(InvalidRequestError)
    await expect(s.handle(new Uint8Array(0))).rejects.toBeInstanceOf(InvalidRequestError)
  })

  it('reads branches from cached tree levels exactly as merkleBranch computes them', () => {
    for (let n = 1; n <= 17; n++) {
      const leaves = Array.from({ length: n }, (_, i) => dsha256(new Uint8Array([i, n])))
      const levels = [leaves]
      while (levels[levels.length - 1].length > 1) {
        const l = levels[levels.length - 1]
        const next = []
        for (let i = 0; i < l.length; i += 2) next.push(dsha256(new Uint8Array([...l[i], ...(l[i + 1] ?? l[i])])))
        levels.push(next)
      }
      for (let i = 0; i < n; i++) {
        // dsha256 over the concatenation is the Merkle node rule (dsha256Pair)
        expect(branchFromLevels(levels, i).map(toHex)).toEqual(merkleBranch(leaves, i).map(toHex))
      }
    }
  })
})
