// Runs every test vector of PROTOCOL.md (test/vectors/*.json) against the
// project's code, from the JSON inputs alone, and checks that the generator
// (scripts/gen-vectors.ts) still writes exactly the committed files: the
// specification's vectors and the code cannot drift apart.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { blockHash } from '../../src/core/block.js'
import { fromHex, toHex } from '../../src/core/bytes.js'
import { checkHeaderContext, maxTimewarp } from '../../src/core/contextual.js'
import { decodeBlock, decodeHeaderMessage, decodeTx, encodeBlock, encodeTx, parseHeader, serializeHeader } from '../../src/core/encoding.js'
import { ValidationError } from '../../src/core/errors.js'
import { claimsPhantomPosition, merkleBranch, merkleRoot, verifyMerkleBranch } from '../../src/core/merkle.js'
import { blockReward, COIN, getNetwork, MAX_MONEY } from '../../src/core/params.js'
import { bitsToTarget, retarget, targetToBits, workForBits } from '../../src/core/pow.js'
import { sighash, txid } from '../../src/core/tx.js'
import { checkBlock, checkHeaderPow, checkTransaction } from '../../src/core/validate.js'
import { publicKeyOf, verifyDigest } from '../../src/crypto/keys.js'
import { hash160 } from '../../src/core/hash.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { decodeAddress, encodeAddress, AddressError } from '../../src/wallet/address.js'
import { limitsFor, protocolsFor, topicsFor } from '../../src/p2p/protocols.js'
import { decodeSpvRequest, decodeSpvResponse, spvLimitsOf } from '../../src/p2p/spv-messages.js'
import { decodeSyncRequest, decodeSyncResponse } from '../../src/p2p/sync-messages.js'
import { decodeHeaderAnnouncement } from '../../src/p2p/validation/header.js'
import { blockSize } from '../../src/core/validate.js'
import { generateVectors, runChainCases, serialize, VECTOR_DIR } from '../../scripts/gen-vectors.js'

/* eslint-disable @typescript-eslint/no-explicit-any */
const load = (name: string): any => JSON.parse(readFileSync(join(VECTOR_DIR, name), 'utf8'))
const hex = toHex

function codeOf (fn: () => unknown): string {
  try {
    fn()
    return 'ok'
  } catch (err) {
    if (err instanceof ValidationError || err instanceof AddressError) return err.code
    throw err
  }
}

describe('test vectors: networks and genesis', () => {
  const v = load('networks.json')
  it('lists every consensus constant of every network as the code has it', () => {
    expect(BigInt(v.coin)).toBe(COIN)
    expect(BigInt(v.maxMoney)).toBe(MAX_MONEY)
    expect(v.networks.map((n: any) => n.id)).toEqual(['devnet', 'testnet', 'regtest'])
    for (const n of v.networks) {
      const p = getNetwork(n.id)
      expect(n).toMatchObject({
        addressPrefix: p.addressPrefix,
        powLimitBits: p.powLimitBits,
        targetBlockTime: p.targetBlockTime,
        retargetInterval: p.retargetInterval,
        noRetarget: p.noRetarget,
        maxTimewarp: maxTimewarp(p),
        halvingInterval: p.halvingInterval,
        coinbaseMaturity: p.coinbaseMaturity,
        maxBlockSize: p.maxBlockSize,
        maxTxSize: p.maxTxSize,
        maxCoinbaseDataSize: p.maxCoinbaseDataSize,
        maxFutureBlockTime: p.maxFutureBlockTime,
        medianTimeSpan: p.medianTimeSpan,
        topics: topicsFor(p.id),
        protocols: protocolsFor(p.id)
      })
      expect(BigInt('0x' + n.powLimit)).toBe(p.powLimit)
      expect(BigInt(n.initialReward)).toBe(p.initialReward)
      for (const r of n.rewards) expect(blockReward(r.height, p).toString(), `${n.id} reward at ${r.height}`).toBe(r.reward)
      const limits = limitsFor(p)
      for (const [k, value] of Object.entries(n.wireLimits)) expect((limits as any)[k], k).toBe(value)
    }
  })

  it('genesis blocks decode, hash to the published hash and pass the block rules', () => {
    for (const n of v.networks) {
      const p = getNetwork(n.id)
      const block = decodeBlock(fromHex(n.genesis.block), p.maxBlockSize)
      expect(hex(blockHash(block.header))).toBe(n.genesis.hash)
      expect(hex(serializeHeader(block.header))).toBe(n.genesis.header80)
      expect(hex(txid(block.transactions[0]))).toBe(n.genesis.coinbaseTxid)
      expect(hex(encodeBlock(p.genesis))).toBe(n.genesis.block)
      expect(workForBits(block.header.bits).toString()).toBe(n.genesis.work)
      checkBlock(block, p)
    }
  })
})

describe('test vectors: transactions', () => {
  const v = load('transactions.json')
  it('keys: the public key and address hash of each private key', () => {
    for (const k of v.keys) {
      const pub = publicKeyOf(fromHex(k.privateKey))
      expect(hex(pub)).toBe(k.publicKey)
      expect(hex(hash160(pub))).toBe(k.addressHash)
    }
  })

  it('bytes -> txid, size, sighash per network; the bytes re-encode from the fields', () => {
    for (const t of v.transactions) {
      const tx = decodeTx(fromHex(t.hex), 100_000)
      expect(hex(txid(tx)), t.name).toBe(t.txid)
      expect(fromHex(t.hex).length).toBe(t.size)
      expect(tx.inputs.map(i => hex(i.signature))).toEqual(t.fields.inputs.map((i: any) => i.signature))
      expect(tx.outputs.map(o => o.amount.toString())).toEqual(t.fields.outputs.map((o: any) => o.amount))
      const blank = { ...tx, inputs: tx.inputs.map(i => ({ ...i, signature: new Uint8Array(0) })) }
      expect(hex(encodeTx(blank))).toBe(t.sighashPreimageBody)
      for (const [net, digest] of Object.entries(t.sighash)) expect(hex(sighash(tx, net)), `${t.name} on ${net}`).toBe(digest)
      // a signed transaction verifies on its network only
      if (t.signedFor !== undefined) {
        for (const net of Object.keys(t.sighash)) {
          const ok = tx.inputs.every(i => verifyDigest(i.signature, sighash(tx, net), i.publicKey))
          expect(ok, `${t.name} verifies on ${net}`).toBe(net === t.signedFor)
        }
      }
    }
  })

  it('signature checks: valid, wrong network, high-S, wrong key, tampered digest', async () => {
    const noble = new NobleVerifier()
    const checks = v.signatureChecks.map((c: any) => ({ digest: fromHex(c.digest), publicKey: fromHex(c.publicKey), signature: fromHex(c.signature) }))
    const results = await noble.verifyBatch(checks)
    expect(results).toEqual(v.signatureChecks.map((c: any) => c.valid))
    expect(results.filter(Boolean).length).toBe(2)
  })

  it('only the canonical encoding decodes', () => {
    for (const e of v.encodings) expect(codeOf(() => decodeTx(fromHex(e.hex), 100_000)), e.name).toBe(e.result)
  })

  it('stateless transaction rules give their reject codes', () => {
    for (const s of v.stateless) {
      const tx = decodeTx(fromHex(s.hex), 200_000)
      expect(codeOf(() => checkTransaction(tx, getNetwork(s.network))), s.name).toBe(s.result)
    }
  })
})

describe('test vectors: headers and compact bits', () => {
  const v = load('headers.json')
  it('header bytes -> hash, bits -> target -> pass/fail', () => {
    for (const h of v.headers) {
      const p = getNetwork(h.network)
      const header = decodeHeaderMessage(fromHex(h.message))
      expect(parseHeader(fromHex(h.header80))).toEqual(header)
      expect(hex(serializeHeader(header))).toBe(h.header80)
      expect(hex(blockHash(header)), h.name).toBe(h.hash)
      const target = bitsToTarget(header.bits)
      expect(target === null ? null : target.toString(16).padStart(64, '0')).toBe(h.target)
      expect(codeOf(() => checkHeaderPow(header, p)), h.name).toBe(h.result)
      // the comparison is big-endian: hash bytes as written, first byte most significant
      if (target !== null && h.result === 'ok') expect(BigInt('0x' + h.hash) <= target).toBe(true)
    }
  })

  it('compact bits both ways', () => {
    for (const c of v.compactBits) {
      const t = bitsToTarget(c.bits)
      expect(t === null ? null : t.toString(16), `bits 0x${c.bits.toString(16)}`).toBe(c.target)
      if (t !== null) expect(workForBits(c.bits).toString()).toBe(c.work)
    }
    for (const c of v.targetToBits) expect(targetToBits(BigInt('0x' + c.target)), c.target).toBe(c.bits)
  })
})

describe('test vectors: Merkle trees and proofs', () => {
  const v = load('merkle.json')
  it('roots and branches of trees of 1 to 7 leaves', () => {
    for (const t of v.trees) {
      const leaves = t.leaves.map(fromHex)
      expect(hex(merkleRoot(leaves))).toBe(t.root)
      leaves.forEach((_: unknown, i: number) => { expect(merkleBranch(leaves, i).map(hex)).toEqual(t.branches[i]) })
    }
  })

  it('proofs: valid, phantom positions, wrong index, out of range, wrong root', () => {
    for (const p of v.proofs) {
      const leaf = fromHex(p.leaf)
      const branch = p.branch.map(fromHex)
      expect(verifyMerkleBranch(leaf, branch, p.index, fromHex(p.root)), p.name).toBe(p.valid)
      expect(claimsPhantomPosition(leaf, branch, p.index), p.name).toBe(p.phantom)
    }
    expect(v.proofs.filter((p: any) => p.phantom).length).toBeGreaterThanOrEqual(2)
  })

  it('a duplicated last leaf gives the same root (why blocks refuse duplicate txids)', () => {
    expect(hex(merkleRoot(v.mutatedTree.leaves.map(fromHex)))).toBe(v.mutatedTree.sameRootAs)
    expect(v.mutatedTree.root).toBe(v.mutatedTree.sameRootAs)
  })
})

describe('test vectors: addresses', () => {
  const v = load('addresses.json')
  it('hash -> address and back, per network', () => {
    for (const a of v.valid) {
      const p = getNetwork(a.network)
      expect(encodeAddress(fromHex(a.hash), p)).toBe(a.address)
      expect(hex(decodeAddress(a.address, p))).toBe(a.hash)
    }
  })

  it('bad checksum, wrong network, bad length and the rest give their codes', () => {
    for (const a of v.invalid) expect(codeOf(() => decodeAddress(a.address, getNetwork(a.network))), a.name).toBe(a.result)
  })
})

describe('test vectors: retarget and header context', () => {
  const v = load('retarget.json')
  it('retarget, with the 4x clamp and the powLimit cap', () => {
    for (const r of v.retarget) {
      const p = getNetwork(r.network)
      expect(r.expectedTimespan).toBe(p.targetBlockTime * p.retargetInterval)
      expect(retarget(r.prevBits, r.actualTimespan, p), r.name).toBe(r.nextBits)
    }
  })

  it('header context: difficulty, median time past, timewarp, future limit', () => {
    for (const c of v.headerContext) {
      const header = { version: 1, prevHash: new Uint8Array(32), merkleRoot: new Uint8Array(32), time: c.time, bits: c.bits, nonce: 0 }
      let got = 'ok'
      let severity: string | undefined
      try {
        checkHeaderContext(header, c.height, { ancestor: (h: number) => c.ancestors[h] }, getNetwork(c.network), c.now)
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
        got = err.code
        severity = err.severity
      }
      expect(got, c.name).toBe(c.result)
      expect(severity).toBe(c.severity)
    }
    expect(v.headerContext.map((c: any) => c.result)).toContain('header-timewarp')
  })
})

describe('test vectors: blocks', () => {
  const v = load('blocks.json')
  it('stateless block rules give their reject codes', () => {
    const p = getNetwork('regtest')
    for (const b of v.stateless) {
      const block = decodeBlock(fromHex(b.hex), p.maxBlockSize)
      expect(hex(blockHash(block.header))).toBe(b.hash)
      // the block size is the length of the canonical encoding
      expect(blockSize(block)).toBe(b.size)
      expect(b.size).toBe(b.hex.length / 2)
      expect(codeOf(() => checkBlock(block, p)), b.name).toBe(b.result)
    }
  })

  it('contextual cases on a short regtest chain give their reject codes', async () => {
    const p = getNetwork('regtest')
    const prefix = v.contextual.prefix.map((h: string) => decodeBlock(fromHex(h), p.maxBlockSize))
    const cases = v.contextual.cases.map((c: any) => ({ block: decodeBlock(fromHex(c.hex), p.maxBlockSize) }))
    const results = await runChainCases(prefix, cases, v.contextual.now)
    expect(results.map(r => r.code)).toEqual(v.contextual.cases.map((c: any) => c.result))
  })
})

describe('test vectors: wire messages', () => {
  const v = load('wire.json')
  const limits = limitsFor(getNetwork('regtest'))
  const decoders: Record<string, (b: Uint8Array) => unknown> = {
    syncRequest: b => decodeSyncRequest(b, limits.requestBytes, limits.locatorHashes, limits.blocksPerReply),
    syncResponse: b => decodeSyncResponse(b, limits.responseBytes, limits.headersPerReply, limits.blocksPerReply),
    spvRequest: b => decodeSpvRequest(b, spvLimitsOf(limits, limits.requestBytes)),
    spvResponse: b => decodeSpvResponse(b, spvLimitsOf(limits, limits.responseBytes)),
    headerAnnouncement: b => decodeHeaderAnnouncement(b, limits.headerMessageBytes)
  }

  it('each request, response and announcement decodes, or is refused with its code', () => {
    for (const m of v.messages) expect(codeOf(() => decoders[m.kind](fromHex(m.hex))), `${m.kind}: ${m.name}`).toBe(m.result)
  })

  it('every decoder refuses two oneof bodies and explicit defaults', () => {
    const refused = v.messages.filter((m: any) => /two bodies|explicit|padded|unknown field|without tip_hash/.test(m.name))
    expect(refused.length).toBeGreaterThanOrEqual(6)
    for (const m of refused) expect(m.result, `${m.kind}: ${m.name}`).toBe('decode-noncanonical')
  })

  it('a frame is the uvarint length and the message', () => {
    const msg = fromHex(v.frame.message)
    expect(msg.length).toBeLessThan(128)
    expect(v.frame.frame).toBe(hex(new Uint8Array([msg.length])) + v.frame.message)
  })
})

describe('test vectors: the generator', () => {
  it('reproduces the committed files byte for byte', async () => {
    const files = await generateVectors()
    expect(Object.keys(files).sort()).toEqual(['addresses.json', 'blocks.json', 'headers.json', 'merkle.json', 'networks.json', 'retarget.json', 'transactions.json', 'wire.json'])
    for (const [name, value] of Object.entries(files)) {
      expect(serialize(value), `${name}: run npx tsx scripts/gen-vectors.ts`).toBe(readFileSync(join(VECTOR_DIR, name), 'utf8'))
    }
  })
})
