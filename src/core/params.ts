// Every network constant in one place. Nodes of different networks never mix:
// the network id is part of every gossip topic, protocol id and signature hash.
import { bitsToTarget } from './pow.js'
import { blockHash } from './block.js'
import { toHex } from './bytes.js'
import { buildGenesis, type GenesisSpec } from './genesis.js'
import type { Block } from './types.js'

/** The networks, in the order the config schema and docs list them. */
export const NETWORK_IDS = ['devnet', 'testnet', 'regtest'] as const
export type NetworkId = typeof NETWORK_IDS[number]

export interface NetworkParams {
  id: NetworkId
  /** bech32m human-readable prefix of addresses. */
  addressPrefix: string
  /** Easiest target allowed, as compact bits. */
  powLimitBits: number
  powLimit: bigint
  /** Seconds the network aims for between blocks. */
  targetBlockTime: number
  /** Blocks between difficulty adjustments. */
  retargetInterval: number
  /** Regtest only: difficulty never changes. */
  noRetarget: boolean
  initialReward: bigint
  halvingInterval: number
  coinbaseMaturity: number
  maxBlockSize: number
  maxTxSize: number
  maxCoinbaseDataSize: number
  /** How far (seconds) a block's time may be ahead of the local clock. */
  maxFutureBlockTime: number
  /** Blocks in the median-time-past window. */
  medianTimeSpan: number
  genesis: Block
  genesisHash: string
}

export const COIN = 100_000_000n
export const MAX_MONEY = 21_000_000n * COIN

type BaseParams = Omit<NetworkParams, 'genesis' | 'genesisHash' | 'powLimit'>

function network (base: BaseParams, spec: GenesisSpec): NetworkParams {
  const powLimit = bitsToTarget(base.powLimitBits)
  if (powLimit === null) throw new Error(`bad powLimitBits for ${base.id}`)
  const genesis = buildGenesis(spec, base.initialReward)
  const computed = toHex(blockHash(genesis.header))
  if (computed !== spec.hash) throw new Error(`genesis of ${base.id} hashes to ${computed}, expected ${spec.hash}`)
  return { ...base, powLimit, genesis, genesisHash: spec.hash }
}

const GENESIS_TIME = 1795219200 // 2026-11-21T00:00:00Z

const common = {
  initialReward: 50n * COIN,
  maxBlockSize: 2_000_000,
  maxTxSize: 100_000,
  maxCoinbaseDataSize: 100,
  medianTimeSpan: 11,
  noRetarget: false
}

/** A LAN demo: a block every ~5 s, retarget every 20 blocks, short maturity. */
export const devnet: NetworkParams = network({
  ...common,
  id: 'devnet',
  addressPrefix: 'mc',
  powLimitBits: 0x1e0fffff, // ~1M hashes a block
  targetBlockTime: 5,
  retargetInterval: 20,
  halvingInterval: 100_000,
  coinbaseMaturity: 10,
  maxFutureBlockTime: 120
}, { time: GENESIS_TIME, bits: 0x1e03ffff, nonce: 69650, message: 'minicoin devnet genesis 2026-11-21', hash: '000002b640dbf74634a6c767672258ab1f6c2622c0f0857e80f686f60f825760' })

/** Slower, Bitcoin-like pacing: a block a minute, retarget every 2 hours. */
export const testnet: NetworkParams = network({
  ...common,
  id: 'testnet',
  addressPrefix: 'tmc',
  powLimitBits: 0x1e00ffff, // ~16M hashes a block
  targetBlockTime: 60,
  retargetInterval: 120,
  halvingInterval: 210_000,
  coinbaseMaturity: 100,
  maxFutureBlockTime: 7200
}, { time: GENESIS_TIME, bits: 0x1e00ffff, nonce: 1067848, message: 'minicoin testnet genesis 2026-11-21', hash: '000000ccb5bdfe89d54902ea9296c15b96754ad48dea40f132ac4ab0db869189' })

/** For tests: trivial proof of work that never retargets. */
export const regtest: NetworkParams = network({
  ...common,
  id: 'regtest',
  addressPrefix: 'mcrt',
  powLimitBits: 0x207fffff,
  targetBlockTime: 1,
  retargetInterval: 20,
  noRetarget: true,
  halvingInterval: 150,
  coinbaseMaturity: 3,
  maxFutureBlockTime: 7200
}, { time: GENESIS_TIME, bits: 0x207fffff, nonce: 1, message: 'minicoin regtest genesis 2026-11-21', hash: '0a4749854a485fd0623af623fc0d5b41025a175eabfef806c7219ce1c4e2d841' })

export const networks: Record<NetworkId, NetworkParams> = { devnet, testnet, regtest }

export function getNetwork (id: string): NetworkParams {
  if (!Object.hasOwn(networks, id)) throw new Error(`unknown network "${id}" (expected one of ${Object.keys(networks).join(', ')})`)
  return networks[id as NetworkId]
}

/** Block subsidy at a height: halves every halvingInterval blocks, zero after 64 halvings. */
export function blockReward (height: number, p: NetworkParams): bigint {
  const halvings = Math.floor(height / p.halvingInterval)
  if (halvings >= 64) return 0n
  return p.initialReward >> BigInt(halvings)
}
