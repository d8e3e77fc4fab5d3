// Generates the test vectors of PROTOCOL.md (test/vectors/*.json) from the
// project's own code. Deterministic: fixed keys, RFC 6979 signatures, fixed
// times, nonces found by counting up from 0. Every case is produced by running
// the code it describes (a case that claims a reject code is checked to get
// it), and test/unit/vectors.test.ts runs every vector again and checks that
// this generator reproduces the committed files.
// Usage: npx tsx scripts/gen-vectors.ts            (writes test/vectors/)
//        npx tsx scripts/gen-vectors.ts --check    (exit 1 when the files differ)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bech32, bech32m } from '@scure/base'
import { blockHash, computeMerkleRoot } from '../src/core/block.js'
import { concatBytes, fromHex, toHex, u32le } from '../src/core/bytes.js'
import { checkHeaderContext, maxTimewarp } from '../src/core/contextual.js'
import { decodeBlock, decodeTx, encodeBlock, encodeHeaderMessage, encodeTx, serializeHeader } from '../src/core/encoding.js'
import { ValidationError } from '../src/core/errors.js'
import { dsha256, hash160, sha256 } from '../src/core/hash.js'
import { claimsPhantomPosition, merkleBranch, merkleRoot, verifyMerkleBranch } from '../src/core/merkle.js'
import { blockReward, COIN, MAX_MONEY, networks, regtest, type NetworkParams } from '../src/core/params.js'
import { bitsToTarget, hashMeetsTarget, retarget, targetToBits, workForBits } from '../src/core/pow.js'
import { sighash, txid } from '../src/core/tx.js'
import type { Block, BlockHeader, Transaction } from '../src/core/types.js'
import { blockSize, checkBlock, checkHeaderPow, checkTransaction } from '../src/core/validate.js'
import { publicKeyOf, signDigest, verifyDigest } from '../src/crypto/keys.js'
import { NobleVerifier } from '../src/crypto/verifier.js'
import { Chain } from '../src/chain/chain.js'
import { decodeAddress, encodeAddress, AddressError } from '../src/wallet/address.js'
import { limitsFor, protocolsFor, topicsFor } from '../src/p2p/protocols.js'
import { wireVectors } from './gen-vectors-wire.js'

export const VECTOR_DIR = resolve(fileURLToPath(import.meta.url), '..', '..', 'test', 'vectors')

const NETS = Object.values(networks)
const EMPTY = new Uint8Array(0)
const hex = toHex
const te = new TextEncoder()

// ---- deterministic keys and builders -------------------------------------------

export interface VectorKey { priv: Uint8Array, pub: Uint8Array, address: Uint8Array }

export function vectorKey (n: number): VectorKey {
  const priv = sha256(te.encode(`minicoin test vector key ${n}`))
  const pub = publicKeyOf(priv)
  return { priv, pub, address: hash160(pub) }
}

interface Coin { txid: Uint8Array, index: number, key: VectorKey }

function signTx (coins: Coin[], outputs: Transaction['outputs'], networkId: string, lockTime = 0): Transaction {
  const unsigned: Transaction = {
    version: 1,
    inputs: coins.map(c => ({ prevTxid: c.txid, prevIndex: c.index, publicKey: c.key.pub, signature: EMPTY })),
    outputs,
    lockTime,
    coinbase: EMPTY
  }
  const digest = sighash(unsigned, networkId)
  return { ...unsigned, inputs: unsigned.inputs.map((i, n) => ({ ...i, signature: signDigest(digest, coins[n].key.priv) })) }
}

function coinbaseOf (height: number, amount: bigint, to: Uint8Array, tag = 'vector'): Transaction {
  return { version: 1, inputs: [], outputs: [{ amount, address: to }], lockTime: 0, coinbase: concatBytes(u32le(height), te.encode(tag)) }
}

/** Smallest nonce from 0 up that meets the header's own target. */
function solve (header: BlockHeader): BlockHeader {
  const target = bitsToTarget(header.bits)!
  for (let nonce = 0; ; nonce++) {
    const h = { ...header, nonce }
    if (hashMeetsTarget(blockHash(h), target)) return h
  }
}

function blockOn (parent: BlockHeader, txs: Transaction[], opts: { time?: number, bits?: number, merkleRoot?: Uint8Array, solved?: boolean } = {}): Block {
  const block: Block = {
    header: { version: 1, prevHash: blockHash(parent), merkleRoot: EMPTY, time: opts.time ?? parent.time + 1, bits: opts.bits ?? parent.bits, nonce: 0 },
    transactions: txs
  }
  block.header.merkleRoot = opts.merkleRoot ?? (txs.length > 0 ? computeMerkleRoot(block) : new Uint8Array(32))
  if (opts.solved !== false) block.header = solve(block.header)
  return block
}

/** Runs `fn`; the reject code it throws (or 'ok'). */
function outcome (fn: () => void): { code: string, severity?: string } {
  try {
    fn()
    return { code: 'ok' }
  } catch (err) {
    if (err instanceof ValidationError) return { code: err.code, severity: err.severity }
    if (err instanceof AddressError) return { code: err.code }
    throw err
  }
}

function expectCode (what: string, got: { code: string }, want: string): void {
  if (got.code !== want) throw new Error(`vector "${what}": expected ${want}, the code gives ${got.code}`)
}

const headerJson = (h: BlockHeader): Record<string, unknown> => ({ version: h.version, prevHash: hex(h.prevHash), merkleRoot: hex(h.merkleRoot), time: h.time, bits: h.bits, nonce: h.nonce })

function txJson (tx: Transaction): Record<string, unknown> {
  return {
    version: tx.version,
    inputs: tx.inputs.map(i => ({ prevTxid: hex(i.prevTxid), prevIndex: i.prevIndex, publicKey: hex(i.publicKey), signature: hex(i.signature) })),
    outputs: tx.outputs.map(o => ({ amount: o.amount.toString(), address: hex(o.address) })),
    lockTime: tx.lockTime,
    coinbase: hex(tx.coinbase)
  }
}

// ---- networks and genesis ----------------------------------------------------------

function networksVectors (): unknown {
  return {
    comment: 'Every consensus constant per network, the genesis blocks, and the names of the wire protocols. Amounts in base units (1 coin = 100000000).',
    coin: COIN.toString(),
    maxMoney: MAX_MONEY.toString(),
    networks: NETS.map(p => {
      const limits = limitsFor(p)
      const g = p.genesis
      return {
        id: p.id,
        addressPrefix: p.addressPrefix,
        powLimitBits: p.powLimitBits,
        powLimit: p.powLimit.toString(16).padStart(64, '0'),
        targetBlockTime: p.targetBlockTime,
        retargetInterval: p.retargetInterval,
        noRetarget: p.noRetarget,
        maxTimewarp: maxTimewarp(p),
        initialReward: p.initialReward.toString(),
        halvingInterval: p.halvingInterval,
        rewards: [0, 1, p.halvingInterval - 1, p.halvingInterval, 2 * p.halvingInterval, 63 * p.halvingInterval, 64 * p.halvingInterval].map(h => ({ height: h, reward: blockReward(h, p).toString() })),
        coinbaseMaturity: p.coinbaseMaturity,
        maxBlockSize: p.maxBlockSize,
        maxTxSize: p.maxTxSize,
        maxCoinbaseDataSize: p.maxCoinbaseDataSize,
        maxFutureBlockTime: p.maxFutureBlockTime,
        medianTimeSpan: p.medianTimeSpan,
        genesis: {
          hash: p.genesisHash,
          header: headerJson(g.header),
          header80: hex(serializeHeader(g.header)),
          block: hex(encodeBlock(g)),
          coinbase: txJson(g.transactions[0]),
          coinbaseTxid: hex(txid(g.transactions[0])),
          work: workForBits(g.header.bits).toString()
        },
        topics: topicsFor(p.id),
        protocols: protocolsFor(p.id),
        wireLimits: {
          txMessageBytes: limits.txMessageBytes,
          blockMessageBytes: limits.blockMessageBytes,
          gossipFrameBytes: limits.gossipFrameBytes,
          headerMessageBytes: limits.headerMessageBytes,
          requestBytes: limits.requestBytes,
          responseBytes: limits.responseBytes,
          headersPerReply: limits.headersPerReply,
          blocksPerReply: limits.blocksPerReply,
          blockReplyBytes: limits.blockReplyBytes,
          proofsPerReply: limits.proofsPerReply,
          locatorHashes: limits.locatorHashes,
          streamTimeoutMs: limits.streamTimeoutMs,
          requestsPerSecond: limits.requestsPerSecond,
          requestBurst: limits.requestBurst
        }
      }
    })
  }
}

// ---- transactions and signatures -------------------------------------------------------

/** A 64-byte coinbase: amount 1, coinbase data padded until the encoding is 64 bytes. */
function sixtyFourByteTx (): Transaction {
  for (let pad = 0; pad < 100; pad++) {
    const tx: Transaction = { version: 1, inputs: [], outputs: [{ amount: 1n, address: new Uint8Array(20).fill(0x11) }], lockTime: 0, coinbase: concatBytes(u32le(1), new Uint8Array(pad).fill(0x61)) }
    if (encodeTx(tx).length === 64) return tx
  }
  throw new Error('no 64-byte transaction')
}

const SECP_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

function highS (sig: Uint8Array): Uint8Array {
  const s = BigInt('0x' + hex(sig.subarray(32)))
  return concatBytes(sig.subarray(0, 32), fromHex((SECP_N - s).toString(16).padStart(64, '0')))
}

function transactionVectors (): unknown {
  const k1 = vectorKey(1)
  const k2 = vectorKey(2)
  const k3 = vectorKey(3)
  const prev1 = dsha256(te.encode('vector coin 1'))
  const prev2 = dsha256(te.encode('vector coin 2'))
  const oneIn = signTx([{ txid: prev1, index: 0, key: k1 }], [{ amount: 30n * COIN, address: k3.address }, { amount: 19n * COIN + 99_990_000n, address: k1.address }], 'regtest')
  const twoIn = signTx([{ txid: prev1, index: 1, key: k1 }, { txid: prev2, index: 7, key: k2 }], [{ amount: 12_345n, address: k3.address }], 'devnet', 7)
  const txs: Array<{ name: string, tx: Transaction, signedFor?: string }> = [
    { name: 'regtest genesis coinbase', tx: regtest.genesis.transactions[0] },
    { name: 'coinbase at height 1 with data', tx: coinbaseOf(1, 50n * COIN, k1.address) },
    { name: 'one input, two outputs, signed for regtest', tx: oneIn, signedFor: 'regtest' },
    { name: 'two inputs, one output, lock time 7, signed for devnet', tx: twoIn, signedFor: 'devnet' }
  ]
  const transactions = txs.map(({ name, tx, signedFor }) => {
    const blank: Transaction = { ...tx, inputs: tx.inputs.map(i => ({ ...i, signature: EMPTY })) }
    return {
      name,
      hex: hex(encodeTx(tx)),
      txid: hex(txid(tx)),
      size: encodeTx(tx).length,
      fields: txJson(tx),
      ...(signedFor !== undefined ? { signedFor } : {}),
      sighashPreimageBody: hex(encodeTx(blank)),
      sighash: Object.fromEntries(NETS.map(p => [p.id, hex(sighash(tx, p.id))]))
    }
  })

  const d = sighash(oneIn, 'regtest')
  const sig = oneIn.inputs[0].signature
  const checks = [
    { name: 'valid: the input signature over the regtest sighash', digest: d, publicKey: k1.pub, signature: sig },
    { name: 'the same signature against the devnet sighash (replay on another network)', digest: sighash(oneIn, 'devnet'), publicKey: k1.pub, signature: sig },
    { name: 'high-S form of a valid signature', digest: d, publicKey: k1.pub, signature: highS(sig) },
    { name: 'another key', digest: d, publicKey: k2.pub, signature: sig },
    { name: 'digest with one bit flipped', digest: concatBytes(new Uint8Array([d[0] ^ 1]), d.subarray(1)), publicKey: k1.pub, signature: sig },
    { name: 'signature r and s both zero', digest: d, publicKey: k1.pub, signature: new Uint8Array(64) },
    { name: 'valid: second input of the devnet transaction', digest: sighash(twoIn, 'devnet'), publicKey: k2.pub, signature: twoIn.inputs[1].signature }
  ].map(c => ({ name: c.name, digest: hex(c.digest), publicKey: hex(c.publicKey), signature: hex(c.signature), valid: verifyDigest(c.signature, c.digest, c.publicKey) }))

  // encodings of one transaction that decoders must refuse (canonical: see PROTOCOL.md)
  const canon = encodeTx(oneIn)
  const encodings = [
    { name: 'canonical', hex: hex(canon) },
    { name: 'explicit default: lock_time 0 written as field 4', hex: hex(concatBytes(canon, fromHex('2000'))) },
    { name: 'unknown field 6', hex: hex(concatBytes(canon, fromHex('3001'))) },
    { name: 'version as a two-byte varint', hex: hex(concatBytes(fromHex('088100'), canon.subarray(2))) },
    { name: 'fields out of order: version last', hex: hex(concatBytes(canon.subarray(2), canon.subarray(0, 2))) },
    { name: 'truncated', hex: hex(canon.subarray(0, canon.length - 1)) }
  ]

  // stateless transaction rules (checkTransaction), one per reject code
  const base = oneIn
  const withInputs = (f: (i: Transaction['inputs'][0]) => Transaction['inputs'][0]): Transaction => ({ ...base, inputs: base.inputs.map(f) })
  const rules: Array<{ name: string, tx: Transaction, want: string }> = [
    { name: 'valid spend', tx: base, want: 'ok' },
    { name: 'version 2', tx: { ...base, version: 2 }, want: 'tx-bad-version' },
    { name: 'exactly 64 bytes', tx: sixtyFourByteTx(), want: 'tx-size-64' },
    { name: 'no outputs', tx: { ...base, outputs: [] }, want: 'tx-no-outputs' },
    { name: 'no inputs and coinbase data under 4 bytes', tx: { ...coinbaseOf(1, 1n, k1.address), coinbase: fromHex('010000') }, want: 'tx-no-inputs' },
    { name: 'coinbase data of 101 bytes', tx: { ...coinbaseOf(1, 1n, k1.address), coinbase: new Uint8Array(101) }, want: 'cb-data-oversize' },
    { name: 'spending transaction with coinbase data', tx: { ...base, coinbase: fromHex('00') }, want: 'tx-coinbase-data' },
    { name: 'all-zero prev_txid', tx: withInputs(i => ({ ...i, prevTxid: new Uint8Array(32) })), want: 'tx-bad-prevout' },
    { name: 'uncompressed-style key prefix 04', tx: withInputs(i => ({ ...i, publicKey: concatBytes(fromHex('04'), i.publicKey.subarray(1)) })), want: 'tx-bad-pubkey' },
    { name: '65-byte signature', tx: withInputs(i => ({ ...i, signature: concatBytes(i.signature, fromHex('01')) })), want: 'tx-bad-signature-length' },
    { name: 'one outpoint spent twice', tx: { ...base, inputs: [base.inputs[0], base.inputs[0]] }, want: 'tx-duplicate-input' },
    { name: 'zero-value output in a spend', tx: { ...base, outputs: [{ amount: 0n, address: k1.address }] }, want: 'tx-zero-output' },
    { name: 'zero-value coinbase output is allowed', tx: coinbaseOf(1, 0n, k1.address), want: 'ok' },
    { name: 'output above MAX_MONEY', tx: { ...base, outputs: [{ amount: MAX_MONEY + 1n, address: k1.address }] }, want: 'tx-output-too-large' },
    { name: 'outputs summing above MAX_MONEY', tx: { ...base, outputs: [{ amount: MAX_MONEY, address: k1.address }, { amount: 1n, address: k1.address }] }, want: 'tx-outputs-too-large' },
    { name: '19-byte address', tx: { ...base, outputs: [{ amount: 1n, address: new Uint8Array(19) }] }, want: 'tx-bad-address' }
  ]
  const stateless = rules.map(r => {
    const got = outcome(() => checkTransaction(r.tx, regtest))
    expectCode(r.name, got, r.want)
    return { name: r.name, network: 'regtest', hex: hex(encodeTx(r.tx)), result: got.code }
  })

  return {
    comment: 'txid = SHA256(SHA256(canonical Transaction bytes)); sighash = SHA256(SHA256("minicoin-sighash-v1:" || network id || ":" || canonical bytes with every input signature empty)); hashes are written in hex in their byte order (no reversal).',
    keys: [k1, k2, k3].map((k, i) => ({ name: `key ${i + 1}`, seed: `minicoin test vector key ${i + 1}`, privateKey: hex(k.priv), publicKey: hex(k.pub), addressHash: hex(k.address) })),
    transactions,
    signatureChecks: checks,
    encodings: encodings.map(e => ({ ...e, result: decodeOutcome(e.hex) })),
    stateless
  }
}

function decodeOutcome (h: string): string {
  return outcome(() => { decodeTxForVectors(fromHex(h)) }).code
}

function decodeTxForVectors (bytes: Uint8Array): Transaction {
  return decodeTx(bytes, regtest.maxTxSize)
}

// ---- headers and compact bits ----------------------------------------------------------

function headerVectors (): unknown {
  const cases: Array<{ name: string, network: NetworkParams, header: BlockHeader }> = []
  for (const p of NETS) cases.push({ name: `${p.id} genesis`, network: p, header: p.genesis.header })
  const g = regtest.genesis.header
  // the byte order rule: a hash whose LAST byte is small but first byte large fails regtest's target
  let beFail: BlockHeader | undefined
  let bePass: BlockHeader | undefined
  for (let nonce = 0; beFail === undefined || bePass === undefined; nonce++) {
    const h = { ...g, nonce }
    const hash = blockHash(h)
    if (beFail === undefined && hash[0] >= 0x80 && hash[31] < 0x40) beFail = h
    if (bePass === undefined && hash[0] < 0x40 && hash[31] >= 0x80) bePass = h
  }
  cases.push({ name: 'regtest: hash starts 0x80 or more (fails big-endian, would pass little-endian)', network: regtest, header: beFail })
  cases.push({ name: 'regtest: hash starts below 0x40, ends 0x80 or more (passes big-endian only)', network: regtest, header: bePass })
  let devFail = { ...networks.devnet.genesis.header }
  while (hashMeetsTarget(blockHash(devFail), bitsToTarget(devFail.bits)!)) devFail = { ...devFail, nonce: devFail.nonce + 1 }
  cases.push({ name: 'devnet genesis with the next failing nonce', network: networks.devnet, header: devFail })
  cases.push({ name: 'testnet: bits easier than the limit', network: networks.testnet, header: { ...networks.testnet.genesis.header, bits: 0x1e0fffff } })
  cases.push({ name: 'regtest: bits with the sign bit', network: regtest, header: { ...g, bits: 0x20800000 } })
  cases.push({ name: 'regtest: bits of zero', network: regtest, header: { ...g, bits: 0 } })
  cases.push({ name: 'regtest: version 2', network: regtest, header: { ...g, version: 2 } })

  const headers = cases.map(c => {
    const t = bitsToTarget(c.header.bits)
    return {
      name: c.name,
      network: c.network.id,
      fields: headerJson(c.header),
      message: hex(encodeHeaderMessage(c.header)),
      header80: hex(serializeHeader(c.header)),
      hash: hex(blockHash(c.header)),
      target: t === null ? null : t.toString(16).padStart(64, '0'),
      result: outcome(() => checkHeaderPow(c.header, c.network)).code
    }
  })

  const bitsCases = [0x1d00ffff, 0x1e0fffff, 0x1e03ffff, 0x1e00ffff, 0x207fffff, 0x2000ffff, 0x03123456, 0x02123456, 0x01123456, 0x01003456, 0x04923456, 0x04123456, 0x05009234, 0x20ffffff, 0x21010000, 0x22000001, 0x00000000, 0x1d000000]
  const compact = bitsCases.map(bits => {
    const t = bitsToTarget(bits)
    return { bits, target: t === null ? null : t.toString(16), work: t === null ? null : workForBits(bits).toString() }
  })
  const targets = [0x80n, 0x7fn, 0x1234n, 0x123456n, 0x12345678n, (1n << 255n), bitsToTarget(0x1e0fffff)!, bitsToTarget(0x207fffff)! + 12345n]
  return {
    comment: 'hash = SHA256(SHA256(header80)); header80 = version u32le || prev_hash || merkle_root || time u32le || bits u32le || nonce u32le. The hash read as a BIG-endian 256-bit number must be <= the target.',
    headers,
    compactBits: compact,
    targetToBits: targets.map(t => ({ target: t.toString(16), bits: targetToBits(t) }))
  }
}

// ---- Merkle trees and proofs -------------------------------------------------------------

const leafOf = (i: number): Uint8Array => dsha256(u32le(i))

function merkleVectors (): unknown {
  const trees = [1, 2, 3, 4, 5, 7].map(n => {
    const leaves = Array.from({ length: n }, (_, i) => leafOf(i))
    return { leaves: leaves.map(hex), root: hex(merkleRoot(leaves)), branches: leaves.map((_, i) => merkleBranch(leaves, i).map(hex)) }
  })
  const five = Array.from({ length: 5 }, (_, i) => leafOf(i))
  const three = five.slice(0, 3)
  const root5 = merkleRoot(five)
  const root3 = merkleRoot(three)
  const proof = (name: string, leaf: Uint8Array, branch: Uint8Array[], index: number, root: Uint8Array): Record<string, unknown> =>
    ({ name, leaf: hex(leaf), branch: branch.map(hex), index, root: hex(root), phantom: claimsPhantomPosition(leaf, branch, index), valid: verifyMerkleBranch(leaf, branch, index, root) })
  const proofs = [
    proof('5 leaves, position 0', five[0], merkleBranch(five, 0), 0, root5),
    proof('5 leaves, position 3', five[3], merkleBranch(five, 3), 3, root5),
    proof('5 leaves, position 4 (last, paired with itself)', five[4], merkleBranch(five, 4), 4, root5),
    proof('5 leaves, phantom position 5: the branch of 4 re-used one to the right', five[4], merkleBranch(five, 4), 5, root5),
    proof('3 leaves, phantom position 3', three[2], merkleBranch(three, 2), 3, root3),
    proof('5 leaves, wrong index: branch of 1 at position 0', five[1], merkleBranch(five, 1), 0, root5),
    proof('5 leaves, index beyond 2^branch length', five[0], merkleBranch(five, 0), 8, root5),
    proof('1 leaf, empty branch, position 0', five[0], [], 0, five[0]),
    proof('1 leaf, empty branch, position 1', five[0], [], 1, five[0]),
    proof('wrong root', five[2], merkleBranch(five, 2), 2, root3)
  ]
  // CVE-2012-2459: [a, b, c] and [a, b, c, c] share their root
  const mutated = { leaves: [...three, three[2]].map(hex), root: hex(merkleRoot([...three, three[2]])), sameRootAs: hex(root3) }
  return {
    comment: 'node = SHA256(SHA256(left || right)); an odd node at any level is paired with itself. A proof walks from the leaf: bit k of index set means the k-th branch hash is on the LEFT. A right-hand node equal to its left sibling is a phantom and invalid.',
    trees,
    proofs,
    mutatedTree: mutated
  }
}

// ---- addresses ---------------------------------------------------------------------------

function addressVectors (): unknown {
  const k1 = vectorKey(1)
  const hashes = [k1.address, new Uint8Array(20), new Uint8Array(20).fill(0xff)]
  const valid = NETS.flatMap(p => hashes.map(h => ({ network: p.id, hash: hex(h), address: encodeAddress(h, p) })))
  const a = encodeAddress(k1.address, regtest)
  const flip = a.slice(0, -1) + (a.endsWith('q') ? 'p' : 'q')
  const invalid = [
    { name: 'last character changed', network: 'regtest', address: flip },
    { name: 'bech32 (not bech32m) checksum', network: 'regtest', address: bech32.encode('mcrt', bech32.toWords(k1.address)) },
    { name: 'devnet address on regtest', network: 'regtest', address: encodeAddress(k1.address, networks.devnet) },
    { name: 'regtest address on testnet', network: 'testnet', address: a },
    { name: 'unknown prefix', network: 'regtest', address: bech32m.encode('bc', bech32m.toWords(k1.address)) },
    { name: 'mixed case', network: 'regtest', address: a.slice(0, 6) + a.slice(6).toUpperCase() },
    { name: 'all upper case is accepted', network: 'regtest', address: a.toUpperCase() },
    { name: '19-byte payload', network: 'regtest', address: bech32m.encode('mcrt', bech32m.toWords(k1.address.subarray(1))) },
    { name: '32-byte payload', network: 'regtest', address: bech32m.encode('mcrt', bech32m.toWords(new Uint8Array(32))) },
    { name: 'character b (not in the charset)', network: 'regtest', address: a.slice(0, 8) + 'b' + a.slice(9) },
    { name: 'no separator', network: 'regtest', address: 'mcrtqqqqqq' }
  ].map(c => ({ ...c, result: outcome(() => { decodeAddress(c.address, networks[c.network as 'regtest']) }).code }))
  return {
    comment: 'address = bech32m(prefix, 20-byte hash160 of the 33-byte compressed public key), data part = the hash in 5-bit groups (no witness version).',
    valid,
    invalid
  }
}

// ---- retarget and header context --------------------------------------------------------

interface Ancestor { time: number, bits: number }

function retargetVectors (): unknown {
  const dev = networks.devnet
  const test = networks.testnet
  const span = (p: NetworkParams): number => p.targetBlockTime * p.retargetInterval
  const cases: Array<{ name: string, p: NetworkParams, prevBits: number, actual: number }> = [
    { name: 'devnet: exactly on time', p: dev, prevBits: 0x1e03ffff, actual: span(dev) },
    { name: 'devnet: twice as fast', p: dev, prevBits: 0x1e03ffff, actual: span(dev) / 2 },
    { name: 'devnet: 10x as fast, clamped to 4x harder', p: dev, prevBits: 0x1e03ffff, actual: span(dev) / 10 },
    { name: 'devnet: 4x as fast exactly (clamp edge)', p: dev, prevBits: 0x1e03ffff, actual: span(dev) / 4 },
    { name: 'devnet: negative timespan, clamped', p: dev, prevBits: 0x1e03ffff, actual: -500 },
    { name: 'devnet: twice as slow', p: dev, prevBits: 0x1d3fffff, actual: span(dev) * 2 },
    { name: 'devnet: 10x as slow, clamped to 4x easier', p: dev, prevBits: 0x1d3fffff, actual: span(dev) * 10 },
    { name: 'devnet: slow at the limit, capped at powLimit', p: dev, prevBits: 0x1e03ffff, actual: span(dev) * 8 },
    { name: 'testnet: on time', p: test, prevBits: 0x1d00ffff, actual: span(test) },
    { name: 'testnet: 1% slow', p: test, prevBits: 0x1d00ffff, actual: Math.round(span(test) * 1.01) },
    { name: 'testnet: 3x as fast', p: test, prevBits: 0x1d00ffff, actual: span(test) / 3 }
  ]
  const retargets = cases.map(c => ({
    name: c.name,
    network: c.p.id,
    prevBits: c.prevBits,
    actualTimespan: c.actual,
    expectedTimespan: span(c.p),
    nextBits: retarget(c.prevBits, c.actual, c.p)
  }))

  // header context (checkHeaderContext) on a synthetic devnet branch: blocks
  // 0..19 five seconds apart, all at one difficulty
  const t0 = dev.genesis.header.time
  const bits = 0x1e03ffff
  const devAncestors: Ancestor[] = Array.from({ length: 20 }, (_, i) => ({ time: t0 + 5 * i, bits }))
  const regAncestors: Ancestor[] = Array.from({ length: 20 }, (_, i) => ({ time: t0 + 5 * i, bits: regtest.powLimitBits }))
  const boundaryBits = retarget(bits, devAncestors[19].time - devAncestors[0].time, dev)
  const now = t0 + 200
  const ctx: Array<{ name: string, p: NetworkParams, ancestors: Ancestor[], height: number, time: number, bits: number, want: string }> = [
    { name: 'inside a period: parent bits, time after the median', p: dev, ancestors: devAncestors, height: 15, time: t0 + 75, bits, want: 'ok' },
    { name: 'inside a period: time far before the parent is allowed (only the median counts)', p: dev, ancestors: devAncestors, height: 15, time: t0 + 46, bits, want: 'ok' },
    { name: 'time equal to the median time past', p: dev, ancestors: devAncestors, height: 15, time: t0 + 45, bits, want: 'header-time-too-old' },
    { name: 'inside a period: other bits', p: dev, ancestors: devAncestors, height: 15, time: t0 + 75, bits: 0x1e03fffe, want: 'header-bad-diffbits' },
    { name: 'retarget boundary: retargeted bits', p: dev, ancestors: devAncestors, height: 20, time: t0 + 100, bits: boundaryBits, want: 'ok' },
    { name: 'retarget boundary: the parent\'s bits', p: dev, ancestors: devAncestors, height: 20, time: t0 + 100, bits, want: 'header-bad-diffbits' },
    { name: 'retarget boundary: exactly maxTimewarp before the parent', p: dev, ancestors: devAncestors, height: 20, time: t0 + 95 - maxTimewarp(dev), bits: boundaryBits, want: 'ok' },
    { name: 'retarget boundary: one second more than maxTimewarp before the parent', p: dev, ancestors: devAncestors, height: 20, time: t0 + 94 - maxTimewarp(dev), bits: boundaryBits, want: 'header-timewarp' },
    { name: 'time more than maxFutureBlockTime ahead of now (ignore)', p: dev, ancestors: devAncestors, height: 15, time: now + dev.maxFutureBlockTime + 1, bits, want: 'header-time-too-new' },
    { name: 'time exactly maxFutureBlockTime ahead of now', p: dev, ancestors: devAncestors, height: 15, time: now + dev.maxFutureBlockTime, bits, want: 'ok' },
    { name: 'regtest never retargets and has no timewarp rule', p: regtest, ancestors: regAncestors, height: 20, time: t0 + 71, bits: regtest.powLimitBits, want: 'ok' }
  ]
  const headerContext = ctx.map(c => {
    const header: BlockHeader = { version: 1, prevHash: new Uint8Array(32), merkleRoot: new Uint8Array(32), time: c.time, bits: c.bits, nonce: 0 }
    const got = outcome(() => checkHeaderContext(header, c.height, { ancestor: h => c.ancestors[h] }, c.p, now))
    expectCode(c.name, got, c.want)
    return { name: c.name, network: c.p.id, ancestors: c.ancestors, height: c.height, time: c.time, bits: c.bits, now, result: got.code, ...(got.severity !== undefined ? { severity: got.severity } : {}) }
  })
  return {
    comment: 'next target = prev target * clamp(actual, expected/4, expected*4) / expected (integer division), capped at powLimit, re-encoded as compact bits. ancestors[h] is the block at height h of the branch; the header is at `height`.',
    retarget: retargets,
    headerContext
  }
}

// ---- invalid blocks --------------------------------------------------------------------

/** Stateless block cases (checkBlock) on regtest. */
function statelessBlockCases (): Array<{ name: string, block: Block, want: string }> {
  const k1 = vectorKey(1)
  const g = regtest.genesis.header
  const cb = coinbaseOf(1, 50n * COIN, k1.address)
  const spend = signTx([{ txid: dsha256(te.encode('vector coin 1')), index: 0, key: k1 }], [{ amount: COIN, address: k1.address }], 'regtest')
  const spend2 = signTx([{ txid: dsha256(te.encode('vector coin 2')), index: 0, key: k1 }], [{ amount: COIN, address: k1.address }], 'regtest')
  const valid = blockOn(g, [cb, spend, spend2])
  let badPow = { ...valid.header }
  while (hashMeetsTarget(blockHash(badPow), bitsToTarget(badPow.bits)!)) badPow = { ...badPow, nonce: badPow.nonce + 1 }
  const threeRoot = computeMerkleRoot({ header: valid.header, transactions: [cb, spend, spend2] })
  return [
    { name: 'valid: coinbase and two spends', block: valid, want: 'ok' },
    { name: 'hash above its target', block: { ...valid, header: badPow }, want: 'header-bad-pow' },
    { name: 'no transactions', block: blockOn(g, []), want: 'block-no-transactions' },
    { name: 'first transaction not a coinbase', block: blockOn(g, [spend, cb]), want: 'block-first-not-coinbase' },
    { name: 'second coinbase', block: blockOn(g, [cb, coinbaseOf(1, 1n, k1.address, 'other')]), want: 'block-extra-coinbase' },
    { name: 'last transaction twice (CVE-2012-2459: same Merkle root as the valid block)', block: blockOn(g, [cb, spend, spend2, spend2], { merkleRoot: threeRoot }), want: 'block-duplicate-tx' },
    { name: 'Merkle root of other transactions', block: blockOn(g, [cb, spend], { merkleRoot: threeRoot }), want: 'block-bad-merkle-root' },
    { name: 'a 64-byte coinbase as the only transaction', block: blockOn(g, [sixtyFourByteTx()]), want: 'tx-size-64' },
    { name: 'a transaction failing its own rules', block: blockOn(g, [cb, { ...spend, outputs: [] }]), want: 'tx-no-outputs' }
  ]
}

interface ChainCase { name: string, block: Block, want: string }

/** A short valid regtest chain, then blocks on its tip that break a contextual rule each. */
function contextualBlockCases (): { prefix: Block[], cases: ChainCase[], now: number } {
  const k1 = vectorKey(1)
  const k2 = vectorKey(2)
  const prefix: Block[] = []
  let parent = regtest.genesis.header
  for (let h = 1; h <= 4; h++) {
    const b = blockOn(parent, [coinbaseOf(h, blockReward(h, regtest), k1.address)])
    prefix.push(b)
    parent = b.header
  }
  const coin = (h: number): Coin => ({ txid: txid(prefix[h - 1].transactions[0]), index: 0, key: k1 })
  // height 5: spends the coinbase of height 1 (maturity 3 on regtest), paying a fee of 1000
  const spend1 = signTx([coin(1)], [{ amount: blockReward(1, regtest) - 1000n, address: k2.address }], 'regtest')
  const b5 = blockOn(parent, [coinbaseOf(5, blockReward(5, regtest) + 1000n, k1.address), spend1])
  prefix.push(b5)
  parent = b5.header
  const r6 = blockReward(6, regtest)
  const on = (txs: Transaction[], opts: { time?: number, bits?: number } = {}): Block => blockOn(parent, [coinbaseOf(6, r6, k1.address), ...txs], opts)
  const onCb = (cb: Transaction, txs: Transaction[] = []): Block => blockOn(parent, [cb, ...txs])
  const spent = (c: Coin, networkId = 'regtest', amount = blockReward(2, regtest), lockTime = 0): Transaction => signTx([c], [{ amount, address: k2.address }], networkId, lockTime)
  const byKey2 = signTx([{ ...coin(2), key: k2 }], [{ amount: COIN, address: k2.address }], 'regtest')
  // median time past of heights 0..5 (times genesis+0..5) is genesis+3 (6 values: index 3 after sorting)
  const g = regtest.genesis.header.time
  const cases: ChainCase[] = [
    { name: 'valid: spends the coinbase of height 2', block: on([spent(coin(2))]), want: 'ok' },
    { name: 'coinbase commits to height 7', block: onCb(coinbaseOf(7, r6, k1.address)), want: 'cb-bad-height' },
    { name: 'coinbase pays one unit more than the reward', block: onCb(coinbaseOf(6, r6 + 1n, k1.address)), want: 'cb-amount-too-large' },
    { name: 'signature over the devnet sighash', block: on([spent(coin(2), 'devnet')]), want: 'tx-bad-signature' },
    { name: 'spends an output that does not exist', block: on([spent({ ...coin(2), index: 1 })]), want: 'tx-missing-inputs' },
    { name: 'spends the coinbase of height 1 again (spent at height 5)', block: on([spent(coin(1))]), want: 'tx-missing-inputs' },
    { name: 'spends the coinbase of height 4 at height 6 (maturity 3)', block: on([spent(coin(4))]), want: 'tx-premature-coinbase-spend' },
    { name: 'input key does not hash to the spent address', block: on([byKey2]), want: 'tx-pubkey-mismatch' },
    { name: 'outputs exceed the input', block: on([spent(coin(2), 'regtest', blockReward(2, regtest) + 1n)]), want: 'tx-insufficient-input' },
    { name: 'lock time 7 in a block at height 6', block: on([spent(coin(2), 'regtest', COIN, 7)]), want: 'tx-not-final' },
    { name: 'bits other than the parent\'s (regtest never retargets)', block: on([], { bits: 0x2000ffff }), want: 'header-bad-diffbits' },
    { name: 'time equal to the median time past', block: on([], { time: g + 3 }), want: 'header-time-too-old' }
  ]
  return { prefix, cases, now: g + 100_000 }
}

export async function runChainCases (prefix: Block[], cases: Array<{ block: Block }>, now: number): Promise<Array<{ code: string, severity?: string }>> {
  const dir = mkdtempSync(join(tmpdir(), 'minicoin-vectors-'))
  const chain = await Chain.open({ location: dir, params: regtest, verifier: new NobleVerifier(), now: () => now, log: { warn: () => {} } })
  try {
    for (const b of prefix) {
      const r = await chain.processBlock(b)
      if (r.status !== 'connected') throw new Error(`prefix block not connected: ${r.status}`)
    }
    const results: Array<{ code: string, severity?: string }> = []
    for (const c of cases) {
      try {
        const r = await chain.processBlock(c.block)
        results.push({ code: r.status === 'connected' ? 'ok' : r.status })
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
        results.push({ code: err.code, severity: err.severity })
      }
    }
    return results
  } finally {
    await chain.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function blockVectors (): Promise<unknown> {
  const stateless = statelessBlockCases().map(c => {
    const got = outcome(() => checkBlock(decodeBlock(encodeBlock(c.block), regtest.maxBlockSize), regtest))
    expectCode(c.name, got, c.want)
    return { name: c.name, hex: hex(encodeBlock(c.block)), hash: hex(blockHash(c.block.header)), size: blockSize(c.block), result: got.code }
  })
  const { prefix, cases, now } = contextualBlockCases()
  // the valid case would move the tip; run it last so every other case sees tip 5
  const ordered = [...cases.slice(1), cases[0]]
  const results = await runChainCases(prefix, ordered, now)
  const contextual = ordered.map((c, i) => {
    expectCode(c.name, results[i], c.want)
    return { name: c.name, hex: hex(encodeBlock(c.block)), hash: hex(blockHash(c.block.header)), result: results[i].code, ...(results[i].severity !== undefined ? { severity: results[i].severity } : {}) }
  })
  return {
    comment: 'regtest blocks. stateless: checkBlock alone (no chain). contextual: process `prefix` (heights 1-5, all valid) from the regtest genesis with the local clock at `now`, then each case on top of height 5, in order; every case but the last is refused, the last (valid) one connects.',
    stateless,
    contextual: { now, prefix: prefix.map(b => hex(encodeBlock(b))), cases: contextual }
  }
}

// ---- all files -----------------------------------------------------------------------

export async function generateVectors (): Promise<Record<string, unknown>> {
  return {
    'networks.json': networksVectors(),
    'transactions.json': transactionVectors(),
    'headers.json': headerVectors(),
    'merkle.json': merkleVectors(),
    'addresses.json': addressVectors(),
    'retarget.json': retargetVectors(),
    'blocks.json': await blockVectors(),
    'wire.json': wireVectors()
  }
}

export function serialize (value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

async function main (): Promise<void> {
  const files = await generateVectors()
  const check = process.argv.includes('--check')
  let stale = 0
  for (const [name, value] of Object.entries(files)) {
    const path = join(VECTOR_DIR, name)
    const text = serialize(value)
    if (check) {
      let old = ''
      try { old = readFileSync(path, 'utf8') } catch {}
      if (old !== text) { stale++; console.error(`${name} differs from the generator`) }
    } else {
      writeFileSync(path, text)
      console.log(`wrote ${path}`)
    }
  }
  if (stale > 0) process.exit(1)
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main()
}
