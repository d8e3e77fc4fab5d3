// An independent minicoin client, written from PROTOCOL.md and proto/ alone.
// It uses libp2p, protobufjs (loading proto/minicoin.proto at run time) and
// @noble/* only: nothing from the project's src/ or bench/ (a test pins
// that). It follows a node: decodes its gossiped blocks and checks their
// proof of work, Merkle root, coinbase and signatures; walks its headers over
// the sync protocol; downloads its blocks to learn which output each input
// spends; and verifies SPV proofs against the header chain it checked itself.
//
// Use: const c = await startClient({ network: 'regtest', peer: '/ip4/127.0.0.1/tcp/N/p2p/12D3...' })
//      await c.syncHeaders(); await c.syncBlocks(); await c.verifyTxProof(txidHex) ...; await c.stop()
// Or:  node test/independent-client/client.mjs regtest /ip4/127.0.0.1/tcp/N/p2p/...   (follows until ^C)

import './polyfill.mjs'
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'
import * as secp from '@noble/secp256k1'
import { sha256 } from '@noble/hashes/sha2.js'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { gossipsub, TopicValidatorResult } from '@libp2p/gossipsub'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'

const PROTO = fileURLToPath(new URL('../../proto/minicoin.proto', import.meta.url))

// ---- PROTOCOL.md §2: messages and canonical encoding --------------------------------

const root = protobuf.loadSync(PROTO)
const T = name => root.lookupType(`minicoin.v1.${name}`)
export const pb = {
  Transaction: T('Transaction'),
  BlockHeader: T('BlockHeader'),
  Block: T('Block'),
  HeaderAnnouncement: T('HeaderAnnouncement'),
  SyncRequest: T('SyncRequest'),
  SyncResponse: T('SyncResponse'),
  SpvRequest: T('SpvRequest'),
  SpvResponse: T('SpvResponse')
}

export class ProtocolError extends Error {
  constructor (code, message) {
    super(`${code}: ${message}`)
    this.code = code
  }
}

const fail = (code, message) => { throw new ProtocolError(code, message) }

export const hex = b => Buffer.from(b).toString('hex')
export const unhex = s => new Uint8Array(Buffer.from(s, 'hex'))
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i])
const bytes = v => (v instanceof Uint8Array ? v : new Uint8Array(0))

/** Decodes `data` as `type` and accepts it only if it is the canonical encoding (re-encodes to the same bytes). */
export function decodeCanonical (type, data) {
  let m
  try {
    m = type.decode(data)
  } catch (err) {
    fail('malformed', `${type.name}: ${err.message}`)
  }
  const again = type.encode(m).finish()
  if (!equal(again, data)) fail('noncanonical', `${type.name} is not canonically encoded`)
  return m
}

const u64 = v => (v === undefined || v === null ? 0n : typeof v === 'number' ? BigInt(v) : (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0))

// ---- §3: hashes, identity, sighash -----------------------------------------------------

export const dsha256 = b => sha256(sha256(b))
export const hash160 = b => ripemd160(sha256(b))
const concat = (...parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length } return out }

export const txBytes = tx => pb.Transaction.encode(tx).finish()
export const txid = tx => dsha256(txBytes(tx))

/** The digest every input signs: tag, network id, ':' and the transaction with all signatures empty. */
export function sighash (tx, network) {
  const blank = pb.Transaction.decode(txBytes(tx))
  for (const input of blank.inputs) input.signature = new Uint8Array(0)
  return dsha256(concat(new TextEncoder().encode(`minicoin-sighash-v1:${network}:`), txBytes(blank)))
}

/** 80-byte header: version, prev_hash, merkle_root, time, bits, nonce; integers little-endian. */
export function header80 (h) {
  const prev = bytes(h.prevHash)
  const root = bytes(h.merkleRoot)
  if (prev.length !== 32 || root.length !== 32) fail('header-bad-hash-length', 'header hashes must be 32 bytes')
  const out = new Uint8Array(80)
  const v = new DataView(out.buffer)
  v.setUint32(0, h.version ?? 0, true)
  out.set(prev, 4)
  out.set(root, 36)
  v.setUint32(68, h.time ?? 0, true)
  v.setUint32(72, h.bits ?? 0, true)
  v.setUint32(76, h.nonce ?? 0, true)
  return out
}

export const blockHash = h => dsha256(header80(h))

// ---- §5: proof of work -------------------------------------------------------------------

export function bitsToTarget (bits) {
  const exponent = bits >>> 24
  const mantissa = bits & 0x007fffff
  if ((bits & 0x00800000) !== 0 || mantissa === 0) return null
  const target = exponent <= 3 ? BigInt(mantissa >>> (8 * (3 - exponent))) : BigInt(mantissa) << BigInt(8 * (exponent - 3))
  if (target === 0n || target >= 1n << 256n) return null
  return target
}

/** A hash meets its target when, read as a BIG-endian number, it is at most the target. */
export const meetsTarget = (hash, target) => BigInt('0x' + hex(hash)) <= target
export const workOf = bits => (1n << 256n) / (bitsToTarget(bits) + 1n)

export const NETWORKS = {
  devnet: { powLimitBits: 0x1e0fffff, retargetInterval: 20, targetBlockTime: 5, noRetarget: false, maxFuture: 120, prefix: 'mc', maturity: 10, halving: 100000, genesis: '000002b640dbf74634a6c767672258ab1f6c2622c0f0857e80f686f60f825760' },
  testnet: { powLimitBits: 0x1e00ffff, retargetInterval: 120, targetBlockTime: 60, noRetarget: false, maxFuture: 7200, prefix: 'tmc', maturity: 100, halving: 210000, genesis: '000000ccb5bdfe89d54902ea9296c15b96754ad48dea40f132ac4ab0db869189' },
  regtest: { powLimitBits: 0x207fffff, retargetInterval: 20, targetBlockTime: 1, noRetarget: true, maxFuture: 7200, prefix: 'mcrt', maturity: 3, halving: 150, genesis: '0a4749854a485fd0623af623fc0d5b41025a175eabfef806c7219ce1c4e2d841' }
}

export function checkPow (h, net) {
  if (h.version !== 1) fail('header-bad-version', `version ${h.version}`)
  const target = bitsToTarget(h.bits)
  if (target === null) fail('header-bad-bits', `bits 0x${h.bits.toString(16)}`)
  if (target > bitsToTarget(NETWORKS[net].powLimitBits)) fail('header-bits-above-limit', 'target easier than the network limit')
  if (!meetsTarget(blockHash(h), target)) fail('header-bad-pow', 'hash above target')
}

// ---- §9, §10: retarget, timewarp, timestamps -----------------------------------------------

export function targetToBits (target) {
  let size = Math.ceil(target.toString(16).length / 2)
  let mantissa = Number(size <= 3 ? target << BigInt(8 * (3 - size)) : target >> BigInt(8 * (size - 3)))
  if (mantissa & 0x00800000) { mantissa >>>= 8; size += 1 }
  return ((size << 24) | mantissa) >>> 0
}

export function retargetBits (prevBits, actualTimespan, network) {
  const net = NETWORKS[network]
  const expected = net.targetBlockTime * net.retargetInterval
  const clamped = Math.min(Math.max(actualTimespan, Math.floor(expected / 4)), expected * 4)
  let next = bitsToTarget(prevBits) * BigInt(clamped) / BigInt(expected)
  const limit = bitsToTarget(net.powLimitBits)
  if (next > limit) next = limit
  if (next < 1n) next = 1n
  return targetToBits(next)
}

/**
 * The header rules that need the branch (§9, §10): `ancestor(h)` gives
 * { time, bits } of the block at height h below the header; `now` is unix seconds.
 */
export function checkHeaderContext (h, height, ancestor, network, now) {
  const net = NETWORKS[network]
  const parent = ancestor(height - 1)
  const boundary = !net.noRetarget && height % net.retargetInterval === 0
  const bits = boundary ? retargetBits(parent.bits, parent.time - ancestor(height - net.retargetInterval).time, network) : parent.bits
  if (h.bits !== bits) fail('header-bad-diffbits', `bits 0x${h.bits.toString(16)}, required 0x${bits.toString(16)}`)
  const times = []
  for (let k = height - 1; k >= 0 && times.length < 11; k--) times.push(ancestor(k).time)
  times.sort((a, b) => a - b)
  if (h.time <= times[Math.floor(times.length / 2)]) fail('header-time-too-old', `time ${h.time}`)
  if (boundary && h.time < parent.time - net.targetBlockTime) fail('header-timewarp', `time ${h.time}, parent ${parent.time}`)
  if (h.time > now + net.maxFuture) fail('header-time-too-new', `time ${h.time}`)
}

// ---- §4: Merkle tree and proofs ------------------------------------------------------

export function merkleRoot (leaves) {
  let level = leaves
  while (level.length > 1) {
    const next = []
    for (let i = 0; i < level.length; i += 2) next.push(dsha256(concat(level[i], level[i + 1] ?? level[i])))
    level = next
  }
  return level[0]
}

/** The root a branch implies, or null for an index that does not fit or passes a phantom (duplicated) node. */
export function rootFromBranch (leaf, branch, index) {
  if (branch.length > 32 || index < 0 || (index >= 2 ** branch.length && !(branch.length === 0 && index === 0))) return null
  let h = leaf
  let i = index
  for (const s of branch) {
    if (s.length !== 32) return null
    if (i & 1) {
      if (equal(s, h)) return null // a right child equal to its left sibling: phantom position
      h = dsha256(concat(s, h))
    } else {
      h = dsha256(concat(h, s))
    }
    i >>>= 1
  }
  return h
}

// ---- §7: addresses (bech32m) ---------------------------------------------------------

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
const BECH32M = 0x2bc830a3
function polymod (values) {
  const G = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
  let chk = 1
  for (const v of values) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ v
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= G[i]
  }
  return chk >>> 0
}
const hrpExpand = hrp => [...[...hrp].map(c => c.charCodeAt(0) >> 5), 0, ...[...hrp].map(c => c.charCodeAt(0) & 31)]

/** The 20-byte hash of a bech32m address of `net`. */
export function decodeAddress (address, net) {
  const s = address.toLowerCase()
  if (address !== s && address !== address.toUpperCase()) fail('mixed-case', address)
  const sep = s.lastIndexOf('1')
  if (sep <= 0) fail('no-separator', address)
  const hrp = s.slice(0, sep)
  const data = [...s.slice(sep + 1)].map(c => CHARSET.indexOf(c))
  if (data.some(d => d < 0) || data.length < 6) fail('bad-character', address)
  if (polymod([...hrpExpand(hrp), ...data]) !== BECH32M) fail('bad-checksum', address)
  if (hrp !== NETWORKS[net].prefix) fail('wrong-network', `prefix ${hrp}`)
  let acc = 0; let bits = 0; const out = []
  for (const d of data.slice(0, -6)) {
    acc = (acc << 5) | d; bits += 5
    if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 0xff) }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0 || out.length !== 20) fail('bad-length', address)
  return new Uint8Array(out)
}

// ---- §6: block checks --------------------------------------------------------------------

const isCoinbase = tx => tx.inputs.length === 0 && bytes(tx.coinbase).length > 0
const coinbaseHeight = tx => { const c = bytes(tx.coinbase); return c.length >= 4 ? new DataView(c.buffer, c.byteOffset).getUint32(0, true) : -1 }
const subsidy = (height, net) => { const n = Math.floor(height / NETWORKS[net].halving); return n >= 64 ? 0n : (50n * 100000000n) >> BigInt(n) }

const MAX_MONEY = 21000000n * 100000000n

/** The rules of one transaction that need nothing else (§6.1). */
function checkTransaction (tx, i) {
  if (tx.version !== 1) fail('tx-bad-version', `transaction ${i}`)
  const size = txBytes(tx).length
  if (size === 64) fail('tx-size-64', `transaction ${i}`)
  if (size > 100000) fail('tx-oversize', `transaction ${i}`)
  if (tx.outputs.length === 0) fail('tx-no-outputs', `transaction ${i}`)
  const cb = bytes(tx.coinbase)
  if (tx.inputs.length === 0 && (cb.length < 4 || cb.length > 100)) fail('tx-no-inputs', `transaction ${i}: coinbase data of ${cb.length} bytes`)
  if (tx.inputs.length > 0 && cb.length !== 0) fail('tx-coinbase-data', `transaction ${i}`)
  let total = 0n
  for (const o of tx.outputs) {
    const amount = u64(o.amount)
    if ((amount === 0n && tx.inputs.length > 0) || amount > MAX_MONEY) fail('tx-bad-amount', `transaction ${i}`)
    total += amount
    if (total > MAX_MONEY) fail('tx-outputs-too-large', `transaction ${i}`)
    if (bytes(o.address).length !== 20) fail('tx-bad-address', `transaction ${i}`)
  }
  const seen = new Set()
  for (const input of tx.inputs) {
    const key = `${hex(bytes(input.prevTxid))}:${input.prevIndex ?? 0}`
    if (bytes(input.prevTxid).length !== 32 || /^0*$/.test(hex(bytes(input.prevTxid)))) fail('tx-bad-prevout', `transaction ${i}`)
    if (seen.has(key)) fail('tx-duplicate-input', `transaction ${i}`)
    seen.add(key)
  }
}

/**
 * Checks a block's bytes: canonical encoding, proof of work, Merkle root,
 * coinbase shape and height (when the height is known), and for each input
 * its signature and, when `utxo` knows the spent output, that the key hashes
 * to the output's address and the amounts balance. Throws ProtocolError.
 */
export function verifyBlock (data, { net, height, utxo }) {
  const block = decodeCanonical(pb.Block, data)
  if (block.header == null) fail('missing-header', 'block has no header')
  checkPow(block.header, net)
  const txs = block.transactions
  if (txs.length === 0) fail('block-no-transactions', 'empty block')
  if (!isCoinbase(txs[0])) fail('block-first-not-coinbase', 'first transaction is not a coinbase')
  const ids = txs.map(txid)
  if (new Set(ids.map(hex)).size !== ids.length) fail('block-duplicate-tx', 'a txid appears twice')
  if (!equal(merkleRoot(ids), bytes(block.header.merkleRoot))) fail('block-bad-merkle-root', 'merkle root does not match')
  if (height !== undefined && coinbaseHeight(txs[0]) !== height) fail('cb-bad-height', `coinbase says ${coinbaseHeight(txs[0])}, block is at ${height}`)
  txs.forEach((tx, i) => checkTransaction(tx, i))
  const created = new Map()
  let signatures = 0
  let fees = 0n
  txs.forEach((tx, i) => {
    if (i > 0) {
      if (tx.inputs.length === 0) fail('block-extra-coinbase', `transaction ${i}`)
      const digest = sighash(tx, net)
      let totalIn = 0n
      for (const input of tx.inputs) {
        const sig = bytes(input.signature)
        const pub = bytes(input.publicKey)
        if (sig.length !== 64 || pub.length !== 33) fail('tx-bad-signature', `transaction ${i}: malformed input`)
        let ok = false
        try { ok = secp.verify(sig, digest, pub, { prehash: false, lowS: true }) } catch { ok = false }
        if (!ok) fail('tx-bad-signature', `transaction ${i} has an invalid signature`)
        signatures++
        const key = `${hex(bytes(input.prevTxid))}:${input.prevIndex ?? 0}`
        const spent = created.get(key) ?? utxo?.get(key)
        if (spent !== undefined) {
          if (!equal(hash160(pub), spent.address)) fail('tx-pubkey-mismatch', `transaction ${i}: key does not own ${key}`)
          totalIn += spent.amount
          created.delete(key)
          utxo?.delete(key)
        } else if (utxo !== undefined) {
          fail('tx-missing-inputs', `transaction ${i} spends unknown ${key}`)
        }
      }
      const out = tx.outputs.reduce((n, o) => n + u64(o.amount), 0n)
      if (utxo !== undefined) {
        if (out > totalIn) fail('tx-insufficient-input', `transaction ${i}`)
        fees += totalIn - out
      }
    }
    tx.outputs.forEach((o, n) => created.set(`${hex(ids[i])}:${n}`, { amount: u64(o.amount), address: bytes(o.address) }))
  })
  if (utxo !== undefined && height !== undefined) {
    const claimed = txs[0].outputs.reduce((n, o) => n + u64(o.amount), 0n)
    if (claimed > subsidy(height, net) + fees) fail('cb-amount-too-large', `coinbase pays ${claimed}`)
    for (const [k, v] of created) utxo.set(k, v)
  }
  return { block, hash: blockHash(block.header), txids: ids, signatures }
}

// ---- §9/§10: request/response framing ------------------------------------------------------

const MAX_RESPONSE = 32 * 1024 * 1024

// ---- the client ---------------------------------------------------------------------------

export async function startClient ({ network, peer, log = () => {} }) {
  const net = NETWORKS[network]
  if (net === undefined) throw new Error(`unknown network ${network}`)
  const topics = { block: `/minicoin/${network}/block/1`, header: `/minicoin/${network}/header/1`, tx: `/minicoin/${network}/tx/1` }
  const protocols = { sync: `/minicoin/${network}/sync/1.0.0`, spv: `/minicoin/${network}/spv/1.0.0` }
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        emitSelf: false,
        // §8: unsigned messages, identified by SHA-256 of their data
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: msg => sha256(msg.data),
        allowedTopics: Object.values(topics),
        maxInboundDataLength: 8 * 1024 * 1024
      })
    }
  })
  await node.start()
  const ma = multiaddr(peer)
  const conn = await node.dial(ma)
  const remote = conn.remotePeer

  const state = {
    /** Hash hex -> { header, height } of every header this client checked, linked from genesis. */
    headers: new Map(),
    /** Active chain: hash hex by height. */
    chain: [],
    utxo: new Map(),
    /** Height up to which `utxo` holds every output (blocks verified in full). */
    utxoHeight: 0,
    gossip: { verified: [], rejected: [], headers: [] },
    signaturesChecked: 0
  }
  const pubsub = node.services.pubsub

  // §8 gossip: a block is checked before anything is done with it; tampered ones are rejected.
  pubsub.topicValidators.set(topics.block, async (_from, msg) => {
    try {
      const parent = parentOf(msg.data)
      const height = parent === undefined ? undefined : parent.height + 1
      // extending our checked chain, with every earlier output known: check spends in full too
      const full = parent !== undefined && state.chain[parent.height] === state.chain[state.chain.length - 1] && state.utxoHeight === parent.height
      const r = verifyBlock(msg.data, { net: network, height, ...(full ? { utxo: state.utxo } : {}) })
      if (parent !== undefined && parent.height === state.chain.length - 1) addHeader(r.block.header)
      if (full) state.utxoHeight = height
      state.gossip.verified.push({ hash: hex(r.hash), txids: r.txids.map(hex), signatures: r.signatures, height, spendsChecked: full })
      state.signaturesChecked += r.signatures
      return TopicValidatorResult.Accept
    } catch (err) {
      state.gossip.rejected.push(err.message)
      return TopicValidatorResult.Reject
    }
  })
  pubsub.topicValidators.set(topics.header, async (_from, msg) => {
    try {
      const a = decodeCanonical(pb.HeaderAnnouncement, msg.data)
      checkPow(a.header, network)
      state.gossip.headers.push(hex(blockHash(a.header)))
      return TopicValidatorResult.Accept
    } catch (err) {
      state.gossip.rejected.push(err.message)
      return TopicValidatorResult.Reject
    }
  })
  pubsub.subscribe(topics.block)
  pubsub.subscribe(topics.header)

  /** §9/§10: one request, one response, each a varint length prefix and the message, on a fresh stream. */
  async function request (protocol, reqType, resType, body) {
    const signal = AbortSignal.timeout(15_000)
    const stream = await node.dialProtocol(remote, protocol, { signal })
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_RESPONSE })
      await lp.write(reqType.encode(reqType.fromObject(body)).finish(), { signal })
      const res = (await lp.read({ signal })).subarray()
      await stream.close({ signal })
      return decodeCanonical(resType, res)
    } catch (err) {
      stream.abort(err)
      throw err
    }
  }
  const sync = body => request(protocols.sync, pb.SyncRequest, pb.SyncResponse, body)
  const spv = body => request(protocols.spv, pb.SpvRequest, pb.SpvResponse, body)

  const genesisHex = net.genesis
  const parentOf = data => {
    try { return state.headers.get(hex(bytes(pb.Block.decode(data).header?.prevHash))) } catch { return undefined }
  }

  /** Accepts one header on top of the active chain after checking it (§5, §6). */
  function addHeader (h) {
    const hashHex = hex(blockHash(h))
    if (state.headers.has(hashHex)) return // already checked (gossip and a header walk may both bring it)
    const parentHex = hex(bytes(h.prevHash))
    const height = state.chain.length
    if (height === 0) {
      if (hashHex !== genesisHex) fail('wrong-genesis', hashHex)
    } else {
      if (parentHex !== state.chain[height - 1]) fail('headers-not-connecting', `header ${hashHex} does not build on ${state.chain[height - 1]}`)
      checkPow(h, network)
      checkHeaderContext(h, height, k => state.headers.get(state.chain[k]).header, network, Math.floor(Date.now() / 1000))
    }
    state.headers.set(hashHex, { header: h, height })
    state.chain.push(hashHex)
  }

  return {
    node,
    peerId: remote.toString(),
    state,
    topics,
    protocols,
    subscribers: topic => pubsub.getSubscribers(topics[topic]).length,

    /** Sync Status: the node's genesis, tip, height and work (we claim only the genesis). */
    async status () {
      const genesis = unhex(genesisHex)
      // work: big-endian, minimal length (no leading zero byte)
      let work = workOf(net.powLimitBits).toString(16)
      if (work.length % 2 === 1) work = '0' + work
      const res = await sync({ status: { genesis, tip: genesis, height: 0, work: unhex(work) } })
      if (res.status == null) fail('unexpected-reply', res.body)
      if (hex(res.status.genesis) !== genesisHex) fail('wrong-genesis', hex(res.status.genesis))
      return { tip: hex(res.status.tip), height: res.status.height ?? 0, work: BigInt('0x' + (hex(bytes(res.status.work)) || '0')) }
    },

    /** Walks the node's headers from genesis over the sync protocol; returns the tip height. */
    async syncHeaders (protocol = 'sync') {
      const ask = protocol === 'sync' ? sync : spv
      for (;;) {
        const locator = state.chain.length === 0 ? [] : [unhex(state.chain[state.chain.length - 1]), unhex(genesisHex)]
        const res = await ask({ getHeaders: { locator, max: 2000 } })
        if (res.headers == null) fail('unexpected-reply', `${res.body} to getHeaders`)
        const list = res.headers.headers
        for (const h of list) addHeader(h)
        if (list.length < 2000) return state.chain.length - 1
      }
    },

    /** Downloads every block of the checked header chain (16 a request) and verifies each in full, building the UTXO set. */
    async syncBlocks () {
      while (state.utxoHeight < state.chain.length - 1) {
        const from = state.utxoHeight + 1
        const res = await sync({ getBlocks: { hashes: state.chain.slice(from, from + 16).map(unhex) } })
        if (res.blocks == null) fail('unexpected-reply', `${res.body} to getBlocks`)
        if (res.blocks.blocks.length === 0) fail('not-delivered', `blocks from height ${from}`)
        for (const b of res.blocks.blocks) {
          const hashHex = hex(blockHash(b.header))
          const entry = state.headers.get(hashHex)
          if (entry === undefined || state.chain[entry.height] !== hashHex) fail('unrequested-block', hashHex)
          if (entry.height <= state.utxoHeight) continue // gossip got there first
          if (entry.height !== state.utxoHeight + 1) fail('out-of-order', `block at height ${entry.height}`)
          const r = verifyBlock(pb.Block.encode(b).finish(), { net: network, height: entry.height, utxo: state.utxo })
          state.signaturesChecked += r.signatures
          state.utxoHeight = entry.height
        }
      }
      return state.utxoHeight
    },

    /** Raw GetHeaders over either protocol: the hashes of the headers served after `locator` (hex hashes, newest first). */
    async headers (protocol, locatorHex, max = 0, stopHex = '') {
      const ask = protocol === 'sync' ? sync : spv
      const res = await ask({ getHeaders: { locator: locatorHex.map(unhex), max, ...(stopHex !== '' ? { stop: unhex(stopHex) } : {}) } })
      if (res.headers == null) fail('unexpected-reply', `${res.body} to getHeaders`)
      return res.headers.headers.map(h => hex(blockHash(h)))
    },

    /** Raw GetBlocks: hashes of the blocks served and the not-found list. */
    async blocks (hashesHex) {
      const res = await sync({ getBlocks: { hashes: hashesHex.map(unhex) } })
      if (res.blocks == null) fail('unexpected-reply', `${res.body} to getBlocks`)
      return { blocks: res.blocks.blocks.map(b => hex(blockHash(b.header))), notFound: res.blocks.notFound.map(hex) }
    },

    /** One block by hash over the sync protocol (the decoded Block message; not yet verified). */
    async getBlock (hashHex) {
      const res = await sync({ getBlocks: { hashes: [unhex(hashHex)] } })
      if (res.blocks == null || res.blocks.blocks.length !== 1) fail('not-delivered', hashHex)
      const b = res.blocks.blocks[0]
      if (hex(blockHash(b.header)) !== hashHex) fail('unrequested-block', hex(blockHash(b.header)))
      return b
    },

    /** Checks one SPV proof against our own header chain (§10). */
    verifyProof (p) {
      const tx = p.transaction
      if (tx == null) fail('proof-missing-tx', 'no transaction')
      const entry = state.headers.get(hex(bytes(p.blockHash)))
      if (entry === undefined || state.chain[entry.height] !== hex(bytes(p.blockHash))) fail('proof-unknown-block', hex(bytes(p.blockHash)))
      if (entry.height !== (p.height ?? 0)) fail('proof-wrong-height', `${p.height} vs ${entry.height}`)
      const index = p.index ?? 0
      if (isCoinbase(tx) !== (index === 0)) fail('proof-coinbase-position', `index ${index}`)
      if (txBytes(tx).length === 64) fail('proof-invalid-tx', '64-byte transaction')
      const id = txid(tx)
      const root = rootFromBranch(id, p.branch.map(bytes), index)
      if (root === null) fail('proof-bad-index', `position ${index}`)
      if (!equal(root, bytes(entry.header.merkleRoot))) fail('proof-bad-branch', `does not reach the merkle root of ${hex(bytes(p.blockHash))}`)
      return { txid: hex(id), height: entry.height, index }
    },

    async txProof (txidHex) {
      const res = await spv({ getTxProof: { txid: unhex(txidHex) } })
      if (res.error != null) fail(res.error.code, res.error.message)
      if (res.proofs == null || res.proofs.proofs.length !== 1) fail('unexpected-reply', 'one proof expected')
      return res.proofs.proofs[0]
    },

    /** Every page of an address's history, each proof verified. */
    async addressHistory (address) {
      const hash = decodeAddress(address, network)
      const out = []
      let fromHeight = 0
      let afterTxid
      for (;;) {
        const res = await spv({ getAddressHistory: { address: hash, fromHeight, max: 50, ...(afterTxid ? { afterTxid } : {}) } })
        if (res.proofs == null) fail('unexpected-reply', res.body)
        for (const p of res.proofs.proofs) out.push(this.verifyProof(p))
        if (!res.proofs.more) return { proofs: out, tipHeight: res.proofs.tipHeight ?? 0, tipHash: hex(bytes(res.proofs.tipHash)) }
        const last = res.proofs.proofs[res.proofs.proofs.length - 1]
        fromHeight = last.height
        afterTxid = txid(last.transaction)
      }
    },

    async stop () {
      await node.stop()
    }
  }
}

// ---- command line: follow a node and print what was verified ---------------------------------

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [network, peer] = process.argv.slice(2)
  const client = await startClient({ network, peer })
  const tip = await client.syncHeaders()
  await client.syncBlocks()
  console.log(JSON.stringify({ headers: tip, signatures: client.state.signaturesChecked }))
  setInterval(() => console.log(JSON.stringify({ gossipVerified: client.state.gossip.verified.length, rejected: client.state.gossip.rejected.length })), 5000)
  process.on('SIGINT', () => { void client.stop().then(() => process.exit(0)) })
}
