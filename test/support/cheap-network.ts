// A network for tests only (it is not in core/params' `networks`, so no
// config file can select it): regtest's trivial proof-of-work limit, but
// with retargeting, so an honest chain mined with fast timestamps becomes
// much harder per block than a chain an attacker makes at the limit. That
// is what "low-work headers" means; on regtest every header has the same
// work.
import { createHash } from 'node:crypto'
import { searchNonces } from '../../src/miner/sha256-header.mjs'
import { computeMerkleRoot } from '../../src/core/block.js'
import { bigIntToBytes, concatBytes, u32le } from '../../src/core/bytes.js'
import { expectedBits, type AncestorLookup } from '../../src/core/contextual.js'
import { serializeHeader } from '../../src/core/encoding.js'
import { buildGenesis } from '../../src/core/genesis.js'
import { blockReward, regtest, type NetworkId, type NetworkParams } from '../../src/core/params.js'
import { bitsToTarget } from '../../src/core/pow.js'
import type { Block, BlockHeader } from '../../src/core/types.js'
import { blockHash } from '../../src/core/block.js'
import { toHex } from '../../src/core/bytes.js'
import type { Key } from '../../bench/support/chain-fixtures.js'

/** Long before any test runs: an attacker's 100,000 headers at 67 s spacing still end in the past. */
const GENESIS_TIME = 1_700_000_000

/** Finds a nonce with the miner's midstate search (fast enough for ~10^6 hashes). */
export function mineHeader (header: BlockHeader): BlockHeader {
  const target = bigIntToBytes(bitsToTarget(header.bits)!, 32)
  const nonce = searchNonces(serializeHeader(header), target, 0, 0xffffffff)
  if (nonce < 0) throw new Error('no nonce found')
  return { ...header, nonce }
}

function makeCheapnet (): NetworkParams {
  const base = {
    ...regtest,
    // a test-only id: never in `networks`, so getNetwork() and config files cannot name it
    id: 'cheapnet' as NetworkId,
    addressPrefix: 'mcch',
    noRetarget: false,
    targetBlockTime: 60,
    retargetInterval: 10,
    maxFutureBlockTime: 7200
  }
  const spec = { time: GENESIS_TIME, bits: regtest.powLimitBits, nonce: 0, message: 'minicoin cheapnet (tests only)', hash: '' }
  const unsolved = buildGenesis(spec, base.initialReward)
  const header = mineHeader(unsolved.header)
  const genesis = buildGenesis({ ...spec, nonce: header.nonce }, base.initialReward)
  return { ...base, genesis, genesisHash: toHex(blockHash(genesis.header)) }
}

export const cheapnet: NetworkParams = makeCheapnet()

/** Spacing that keeps difficulty where it is (9 gaps per 10-block window ≈ 600 s). */
const STEADY_SPACING = 67

/**
 * An honest chain of `count` blocks: timestamps 1 s apart for the first
 * `rampBlocks` (difficulty rises 4x per 10 blocks), then at a steady pace.
 */
export function heavyChain (count: number, payTo: Key, rampBlocks = 50): Block[] {
  const p = cheapnet
  const headers: BlockHeader[] = [p.genesis.header]
  const lookup: AncestorLookup = { ancestor: (h: number) => headers[h] }
  const blocks: Block[] = []
  for (let height = 1; height <= count; height++) {
    const parent = headers[height - 1]
    const coinbase = {
      version: 1,
      inputs: [],
      outputs: [{ amount: blockReward(height, p), address: payTo.address }],
      lockTime: 0,
      coinbase: concatBytes(u32le(height), u32le(0))
    }
    const block: Block = {
      header: {
        version: 1,
        prevHash: blockHash(parent),
        merkleRoot: new Uint8Array(32),
        time: parent.time + (height <= rampBlocks ? 1 : STEADY_SPACING),
        bits: expectedBits(height, lookup, p),
        nonce: 0
      },
      transactions: [coinbase]
    }
    block.header.merkleRoot = computeMerkleRoot(block)
    const mined = { ...block, header: mineHeader(block.header) }
    headers.push(mined.header)
    blocks.push(mined)
  }
  return blocks
}

/**
 * An attacker's header chain from genesis at the proof-of-work limit, made
 * on demand: about two hashes a header.
 */
export class LowWorkHeaders {
  readonly headers: BlockHeader[] = []
  private readonly heightOf = new Map<string, number>([[cheapnet.genesisHash, 0]])

  at (height: number): BlockHeader {
    while (this.headers.length < height) {
      const prev = this.headers.length === 0 ? cheapnet.genesis.header : this.headers[this.headers.length - 1]
      const merkleRoot = createHash('sha256').update(`low-work ${this.headers.length}`).digest()
      const header = mineHeader({ version: 1, prevHash: blockHash(prev), merkleRoot: new Uint8Array(merkleRoot), time: prev.time + STEADY_SPACING, bits: cheapnet.powLimitBits, nonce: 0 })
      this.headers.push(header)
      this.heightOf.set(toHex(blockHash(header)), this.headers.length)
    }
    return this.headers[height - 1]
  }

  /** Height of a header of this chain (genesis 0), if it is one. */
  height (hashHex: string): number | undefined {
    return this.heightOf.get(hashHex)
  }
}
