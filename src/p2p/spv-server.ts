// The full node's side of /minicoin/N/spv/1.0.0: active-chain headers by
// locator, and Merkle proofs of the confirmed transactions of an address or
// of one txid. Light clients verify every proof against their own header
// chain, so the server only has to be correct and cheap; it never sends a
// proof it has not checked against the block's Merkle root itself.
import protobuf from 'protobufjs'
import { toHex, equalBytes } from '../core/bytes.js'
import { decodeTx } from '../core/encoding.js'
import { DecodeError } from '../core/errors.js'
import { dsha256 } from '../core/hash.js'
import { merkleNodeHash } from '../core/merkle-hash.js'
import type { Chain } from '../chain/chain.js'
import type { Logger } from '../node/logger.js'
import type { NodeMetrics } from '../node/metrics.js'
import type { P2PHost } from './host.js'
import type { ProtocolIds, WireLimits } from './protocols.js'
import type { PeerReputation } from './reputation.js'
import { InvalidRequestError, serveWithinLimits } from './rpc.js'
import { decodeSpvRequest, encodeSpvResponse, spvLimitsOf, type MerkleProof, type SpvRequest } from './spv-messages.js'

export interface SpvServerOptions {
  host: P2PHost
  chain: Chain
  protocols: ProtocolIds
  limits: WireLimits
  reputation: PeerReputation
  metrics?: NodeMetrics
  log: Logger
  /** Blocks whose Merkle trees stay cached (several proofs usually come from one block). */
  cachedBlocks?: number
}

/**
 * A block cut into its transactions' canonical bytes (slices of the stored
 * block, no decoding) and every level of its Merkle tree, so any branch is
 * log2(n) lookups instead of rebuilding the tree per proof.
 */
interface BlockTree {
  txBytes: Uint8Array[]
  /** levels[0] are the txids; the last level is the root alone. */
  levels: Uint8Array[][]
}

/** Field 2 (repeated Transaction) of a stored, canonical Block message. */
function transactionSlices (block: Uint8Array): Uint8Array[] {
  const reader = protobuf.Reader.create(block)
  const out: Uint8Array[] = []
  while (reader.pos < reader.len) {
    const tag = reader.uint32()
    if (tag === ((2 << 3) | 2)) {
      const length = reader.uint32()
      out.push(block.subarray(reader.pos, reader.pos + length))
      reader.skip(length)
    } else {
      reader.skipType(tag & 7)
    }
  }
  return out
}

function treeLevels (txids: Uint8Array[]): Uint8Array[][] {
  const levels = [txids]
  let level = txids
  while (level.length > 1) {
    const next: Uint8Array[] = []
    // Bitcoin's pairing rule: an odd last node is paired with itself
    for (let i = 0; i < level.length; i += 2) next.push(merkleNodeHash(level[i], level[i + 1] ?? level[i]))
    levels.push(next)
    level = next
  }
  return levels
}

/** The same branch core/merkle.ts merkleBranch gives, read from cached levels. */
export function branchFromLevels (levels: Uint8Array[][], index: number): Uint8Array[] {
  const branch: Uint8Array[] = []
  let i = index
  for (let l = 0; l < levels.length - 1; l++) {
    const level = levels[l]
    branch.push((i ^ 1) < level.length ? level[i ^ 1] : level[i])
    i >>= 1
  }
  return branch
}

export class SpvServer {
  private readonly host: P2PHost
  private readonly chain: Chain
  private readonly protocols: ProtocolIds
  private readonly limits: WireLimits
  readonly reputation: PeerReputation
  readonly metrics?: NodeMetrics
  readonly log: Logger
  private readonly cachedBlocks: number
  /** Insertion-ordered map used as an LRU: a hit moves the block to the end. */
  private readonly trees = new Map<string, BlockTree>()
  private started = false

  constructor (opts: SpvServerOptions) {
    this.host = opts.host
    this.chain = opts.chain
    this.protocols = opts.protocols
    this.limits = opts.limits
    this.reputation = opts.reputation
    this.metrics = opts.metrics
    this.log = opts.log
    this.cachedBlocks = opts.cachedBlocks ?? 8
  }

  async start (): Promise<void> {
    await serveWithinLimits(this.host.node, this.protocols.spv, 'spv', this.limits, this, async (bytes) => await this.handle(bytes))
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.host.node.unhandle(this.protocols.spv).catch(() => {})
    this.trees.clear()
  }

  /** One request to its response bytes; malformed requests throw InvalidRequestError. */
  async handle (bytes: Uint8Array): Promise<Uint8Array> {
    let req: SpvRequest
    try {
      req = decodeSpvRequest(bytes, spvLimitsOf(this.limits, this.limits.requestBytes))
    } catch (err) {
      if (err instanceof DecodeError) throw new InvalidRequestError(err.message)
      throw err
    }
    switch (req.kind) {
      case 'getHeaders': {
        const max = Math.min(req.max > 0 ? req.max : this.limits.headersPerReply, this.limits.headersPerReply)
        return encodeSpvResponse({ kind: 'headers', headers: this.chain.headersAfter(req.locator, max, req.stop) })
      }
      case 'getAddressHistory': return await this.addressHistory(req.address, req.fromHeight, req.max)
      case 'getTxProof': {
        const location = this.chain.getTxLocation(req.txid)
        const proof = location === undefined ? undefined : this.proof(location.blockHash, location.height, location.index, req.txid)?.proof
        if (proof === undefined) return encodeSpvResponse({ kind: 'error', code: 'not-found', message: `no confirmed transaction ${toHex(req.txid)}` })
        return encodeSpvResponse({ kind: 'proofs', proofs: [proof], more: false })
      }
    }
  }

  private async addressHistory (address: Uint8Array, fromHeight: number, max: number): Promise<Uint8Array> {
    const limit = Math.min(max > 0 ? max : this.limits.proofsPerReply, this.limits.proofsPerReply)
    // one more than fits tells whether the reply was cut
    const items = await this.chain.addressHistory(address, fromHeight, limit + 1)
    const proofs: MerkleProof[] = []
    // transactions may be up to maxTxSize each: keep the reply under its byte cap
    const budget = this.limits.responseBytes - 64 * 1024
    let size = 0
    let more = items.length > limit
    for (const item of items.slice(0, limit)) {
      const found = this.proof(item.blockHash, item.height, item.index, item.txid)
      if (found === undefined) continue
      const proofSize = found.proof.branch.length * 34 + found.txSize + 64
      if (size + proofSize > budget && proofs.length > 0) { more = true; break }
      size += proofSize
      proofs.push(found.proof)
    }
    return encodeSpvResponse({ kind: 'proofs', proofs, more })
  }

  /** The proof of the transaction at `index` of a stored block, or undefined when the indexes moved on (a reorg in between). */
  private proof (blockHash: Uint8Array, height: number, index: number, txid: Uint8Array): { proof: MerkleProof, txSize: number } | undefined {
    const tree = this.tree(blockHash)
    if (tree === undefined || index >= tree.txBytes.length || !equalBytes(tree.levels[0][index], txid)) return undefined
    const raw = tree.txBytes[index]
    return { proof: { blockHash, height, index, branch: branchFromLevels(tree.levels, index), tx: decodeTx(raw, Number.MAX_SAFE_INTEGER) }, txSize: raw.length }
  }

  private tree (blockHash: Uint8Array): BlockTree | undefined {
    const hex = toHex(blockHash)
    const cached = this.trees.get(hex)
    if (cached !== undefined) {
      this.trees.delete(hex)
      this.trees.set(hex, cached)
      return cached
    }
    const entry = this.chain.getEntry(hex)
    const raw = this.chain.getBlockBytes(blockHash)
    if (entry === undefined || raw === undefined) return undefined
    const txBytes = transactionSlices(raw)
    if (txBytes.length === 0) return undefined
    const levels = treeLevels(txBytes.map(b => dsha256(b)))
    // Stored blocks are canonical, so this holds; if it ever did not, a
    // proof from here would get this node banned by every light client.
    if (!equalBytes(levels[levels.length - 1][0], entry.header.merkleRoot)) {
      this.log.error('stored block does not match its merkle root', { hash: hex })
      return undefined
    }
    const tree = { txBytes, levels }
    this.trees.set(hex, tree)
    while (this.trees.size > this.cachedBlocks) this.trees.delete(this.trees.keys().next().value as string)
    return tree
  }
}
