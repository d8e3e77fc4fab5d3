// The full node's side of /minicoin/N/spv/1.0.0: active-chain headers by
// locator, and Merkle proofs of the confirmed transactions of an address or
// of one txid. Light clients verify every proof against their own header
// chain, so the server only has to be correct and cheap; it never sends a
// proof it has not checked against the block's Merkle root itself.
// minimal: the full protobufjs (its .proto parser, ~170 KB) would load at every node start for one Reader
import protobuf from 'protobufjs/minimal.js'
import { toHex, equalBytes } from '../core/bytes.js'
import { decodeTx } from '../core/encoding.js'
import { DecodeError } from '../core/errors.js'
import { dsha256 } from '../core/hash.js'
import { merkleNodeHash } from '../core/merkle-hash.js'
import type { Chain } from '../chain/chain.js'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { P2PHost } from './host.js'
import { PeerAction } from './peer-actions.js'
import type { ProtocolIds, WireLimits } from './protocols.js'
import type { PeerReputation } from './reputation.js'
import { InvalidRequestError, serveWithinLimits } from './rpc.js'
import { serveHeaders } from './serve-headers.js'
import { decodeSpvRequest, encodeSpvResponse, spvLimitsOf, type MerkleProof, type SpvRequest } from './spv-messages.js'

export interface SpvServerOptions {
  host: P2PHost
  chain: Chain
  protocols: ProtocolIds
  limits: WireLimits
  reputation: PeerReputation
  metrics?: NodeMetrics
  log: Logger
  /** Bytes of Merkle levels kept cached across requests (several proofs usually come from one block). */
  treeCacheBytes?: number
  /** Blocks one address-history reply may read from storage (distinct blocks). */
  blocksPerReply?: number
  /** Bytes of stored blocks one address-history reply may read. */
  blockBytesPerReply?: number
}

/**
 * What stays cached of a block: its Merkle tree, each level one flat buffer
 * of 32-byte nodes (a 2 MB block of ~11,700 transactions is ~750 KB), and
 * where each transaction lies in the stored block. Transactions themselves
 * are not kept: a reply re-reads the block it proves from (once per reply).
 */
interface BlockTree {
  /** levels[0] are the txids; the last level is the root alone. */
  levels: Uint8Array[]
  /** Start and end of each transaction's canonical bytes in the stored block. */
  spans: Uint32Array
  bytes: number
}

/** Start/end of field 2 (repeated Transaction) entries of a stored, canonical Block message. */
function transactionSpans (block: Uint8Array): Uint32Array {
  const reader = protobuf.Reader.create(block)
  const out: number[] = []
  while (reader.pos < reader.len) {
    const tag = reader.uint32()
    if (tag === ((2 << 3) | 2)) {
      const length = reader.uint32()
      out.push(reader.pos, reader.pos + length)
      reader.skip(length)
    } else {
      reader.skipType(tag & 7)
    }
  }
  return Uint32Array.from(out)
}

const node = (level: Uint8Array, i: number): Uint8Array => level.subarray(i * 32, i * 32 + 32)
const width = (level: Uint8Array): number => level.length / 32

function treeLevels (txids: Uint8Array): Uint8Array[] {
  const levels = [txids]
  let level = txids
  while (width(level) > 1) {
    const n = width(level)
    const next = new Uint8Array(Math.ceil(n / 2) * 32)
    // Bitcoin's pairing rule: an odd last node is paired with itself
    for (let i = 0; i < n; i += 2) next.set(merkleNodeHash(node(level, i), node(level, i + 1 < n ? i + 1 : i)), (i / 2) * 32)
    levels.push(next)
    level = next
  }
  return levels
}

/** The same branch core/merkle.ts merkleBranch gives, read from cached levels (each level a list of nodes). */
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

function branchFromFlatLevels (levels: Uint8Array[], index: number): Uint8Array[] {
  const branch: Uint8Array[] = []
  let i = index
  for (let l = 0; l < levels.length - 1; l++) {
    const level = levels[l]
    branch.push(node(level, (i ^ 1) < width(level) ? i ^ 1 : i).slice())
    i >>= 1
  }
  return branch
}

/** What one reply has spent so far: distinct blocks read and their bytes. */
interface ReplyBudget {
  blocks: Map<string, Uint8Array>
  bytes: number
}

export class SpvServer {
  private readonly host: P2PHost
  private readonly chain: Chain
  private readonly protocols: ProtocolIds
  private readonly limits: WireLimits
  readonly reputation: PeerReputation
  readonly metrics?: NodeMetrics
  readonly log: Logger
  private readonly treeCacheBytes: number
  private readonly blocksPerReply: number
  private readonly blockBytesPerReply: number
  /** Insertion-ordered map used as an LRU: a hit moves the block to the end. */
  private readonly trees = new Map<string, BlockTree>()
  private cachedBytes = 0
  private started = false

  constructor (opts: SpvServerOptions) {
    this.host = opts.host
    this.chain = opts.chain
    this.protocols = opts.protocols
    this.limits = opts.limits
    this.reputation = opts.reputation
    this.metrics = opts.metrics
    this.log = opts.log
    this.treeCacheBytes = opts.treeCacheBytes ?? 32 * 1024 * 1024
    this.blocksPerReply = opts.blocksPerReply ?? 16
    this.blockBytesPerReply = opts.blockBytesPerReply ?? 8 * 1024 * 1024
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
    this.cachedBytes = 0
  }

  /** One request to its response bytes; malformed requests throw InvalidRequestError. */
  async handle (bytes: Uint8Array): Promise<Uint8Array> {
    let req: SpvRequest
    try {
      req = decodeSpvRequest(bytes, spvLimitsOf(this.limits, this.limits.requestBytes))
    } catch (err) {
      if (err instanceof DecodeError) throw new InvalidRequestError(err.message, PeerAction.INVALID_REQUEST)
      throw err
    }
    switch (req.kind) {
      case 'getHeaders': return encodeSpvResponse({ kind: 'headers', headers: serveHeaders(this.chain, req, this.limits.headersPerReply) })
      case 'getAddressHistory': return await this.addressHistory(req.address, { height: req.fromHeight, txid: req.afterTxid }, req.max)
      case 'getTxProof': {
        const location = this.chain.getTxLocation(req.txid)
        const proof = location === undefined ? undefined : this.proof(location.blockHash, location.height, location.index, req.txid, this.newBudget())?.proof
        if (proof === undefined) return encodeSpvResponse({ kind: 'error', code: 'not-found', message: `no confirmed transaction ${toHex(req.txid)}` })
        return encodeSpvResponse({ kind: 'proofs', proofs: [proof], more: false })
      }
    }
  }

  private newBudget (): ReplyBudget {
    return { blocks: new Map(), bytes: 0 }
  }

  /**
   * One page of an address's history after a (height, txid) cursor. The
   * reply is cut (more = true) at the proof count, the reply's byte cap, or
   * the storage it may read (distinct blocks and their bytes), whichever
   * comes first, and always after at least one proof, so a client that
   * continues from the last proof always makes progress.
   */
  private async addressHistory (address: Uint8Array, cursor: { height: number, txid?: Uint8Array }, max: number): Promise<Uint8Array> {
    const limit = Math.min(max > 0 ? max : this.limits.proofsPerReply, this.limits.proofsPerReply)
    // the tip first: everything this reply can hold was connected by then
    const tip = this.chain.tip
    // one more than fits tells whether the reply was cut
    const items = await this.chain.addressHistoryAfter(address, cursor, limit + 1)
    const proofs: MerkleProof[] = []
    // transactions may be up to maxTxSize each: keep the reply under its byte cap
    const sizeBudget = this.limits.responseBytes - 64 * 1024
    const budget = this.newBudget()
    let size = 0
    let more = items.length > limit
    for (const item of items.slice(0, limit)) {
      if (proofs.length > 0 && !this.canRead(budget, item.blockHash)) { more = true; break }
      const found = this.proof(item.blockHash, item.height, item.index, item.txid, budget)
      // the indexes moved on (a reorg in between): stop here rather than skip it
      if (found === undefined) { more = proofs.length > 0; break }
      const proofSize = found.proof.branch.length * 34 + found.txSize + 64
      if (size + proofSize > sizeBudget && proofs.length > 0) { more = true; break }
      size += proofSize
      proofs.push(found.proof)
    }
    // a reorg meanwhile may have moved the tip: claim completeness only through the block we started from
    return encodeSpvResponse({ kind: 'proofs', proofs, more, tip: { hash: tip.hash, height: tip.height } })
  }

  /** Whether the reply may still read this block (already read ones are free). */
  private canRead (budget: ReplyBudget, blockHash: Uint8Array): boolean {
    if (budget.blocks.has(toHex(blockHash))) return true
    return budget.blocks.size < this.blocksPerReply && budget.bytes < this.blockBytesPerReply
  }

  private readBlock (blockHash: Uint8Array, budget: ReplyBudget): Uint8Array | undefined {
    const hex = toHex(blockHash)
    const known = budget.blocks.get(hex)
    if (known !== undefined) return known
    const raw = this.chain.getBlockBytes(blockHash)
    if (raw === undefined) return undefined
    budget.blocks.set(hex, raw)
    budget.bytes += raw.length
    return raw
  }

  /** The proof of the transaction at `index` of a stored block, or undefined when the indexes moved on (a reorg in between). */
  private proof (blockHash: Uint8Array, height: number, index: number, txid: Uint8Array, budget: ReplyBudget): { proof: MerkleProof, txSize: number } | undefined {
    const raw = this.readBlock(blockHash, budget)
    if (raw === undefined) return undefined
    const tree = this.tree(blockHash, raw)
    if (tree === undefined || index >= width(tree.levels[0]) || !equalBytes(node(tree.levels[0], index), txid)) return undefined
    const bytes = raw.subarray(tree.spans[2 * index], tree.spans[2 * index + 1])
    return { proof: { blockHash, height, index, branch: branchFromFlatLevels(tree.levels, index), tx: decodeTx(bytes, Number.MAX_SAFE_INTEGER) }, txSize: bytes.length }
  }

  private tree (blockHash: Uint8Array, raw: Uint8Array): BlockTree | undefined {
    const hex = toHex(blockHash)
    const cached = this.trees.get(hex)
    if (cached !== undefined) {
      this.trees.delete(hex)
      this.trees.set(hex, cached)
      return cached
    }
    const entry = this.chain.getEntry(hex)
    if (entry === undefined) return undefined
    const spans = transactionSpans(raw)
    const count = spans.length / 2
    if (count === 0) return undefined
    const txids = new Uint8Array(count * 32)
    for (let i = 0; i < count; i++) txids.set(dsha256(raw.subarray(spans[2 * i], spans[2 * i + 1])), i * 32)
    const levels = treeLevels(txids)
    // Stored blocks are canonical, so this holds; if it ever did not, a
    // proof from here would get this node banned by every light client.
    if (!equalBytes(levels[levels.length - 1], entry.header.merkleRoot)) {
      this.log.error('stored block does not match its merkle root', { hash: hex })
      return undefined
    }
    const bytes = levels.reduce((n, l) => n + l.length, 0) + spans.byteLength + 256
    const tree = { levels, spans, bytes }
    this.trees.set(hex, tree)
    this.cachedBytes += bytes
    while (this.cachedBytes > this.treeCacheBytes && this.trees.size > 1) {
      const oldest = this.trees.keys().next().value as string
      this.cachedBytes -= this.trees.get(oldest)?.bytes ?? 0
      this.trees.delete(oldest)
    }
    return tree
  }

  /** Blocks whose Merkle trees are cached, and their bytes (metrics and tests). */
  cacheStats (): { blocks: number, bytes: number } {
    return { blocks: this.trees.size, bytes: this.cachedBytes }
  }
}
