// Header rules that need the chain behind a header: the expected difficulty
// and the timestamp window. Shared by the full chain and the SPV header chain,
// which each supply ancestors through a small lookup interface.
import { ValidationError } from './errors.js'
import { retarget } from './pow.js'
import type { NetworkParams } from './params.js'
import type { BlockHeader } from './types.js'

export interface AncestorLookup {
  /** Header fields of the ancestor at `height` on the branch being extended. */
  ancestor: (height: number) => { time: number, bits: number }
}

/** Bits a block at `height` (child of the block at height - 1) must carry. */
export function expectedBits (height: number, chain: AncestorLookup, p: NetworkParams): number {
  const parent = chain.ancestor(height - 1)
  if (p.noRetarget || height % p.retargetInterval !== 0) return parent.bits
  const first = chain.ancestor(height - p.retargetInterval)
  return retarget(parent.bits, parent.time - first.time, p)
}

/**
 * BIP94's timewarp fix, scaled to the network. Bitcoin (testnet4) lets the
 * first block of a retarget period be at most 600 s earlier than its parent:
 * one Bitcoin block time, 1/2016 of a period. We allow one `targetBlockTime`,
 * the same fraction of a period; a flat 600 s would be six whole devnet
 * periods (20 blocks x 5 s), enough to take the 4x clamp every interval.
 * Why it works: the retarget window is [first block of a period, its last
 * block]; without this rule a majority miner sets the last block of each
 * period to the present and every other block to the median time past, so
 * each window measures far more time than passed and difficulty drops 4x per
 * interval while real time barely moves. With it, the first block of the
 * next period cannot return to the low times, so the apparent time the
 * chain gains over k periods is at most real time + maxFutureBlockTime +
 * k x maxTimewarp, and maxTimewarp is a small fraction of a period.
 */
export function maxTimewarp (p: NetworkParams): number {
  return p.targetBlockTime
}

/**
 * Earliest time a block at `height` may carry under the timewarp rule, or
 * -Infinity when the rule does not apply (inside a period, or a network that
 * never retargets, like Bitcoin's regtest without -test=bip94).
 */
export function timewarpFloor (height: number, chain: AncestorLookup, p: NetworkParams): number {
  if (p.noRetarget || height % p.retargetInterval !== 0) return -Infinity
  return chain.ancestor(height - 1).time - maxTimewarp(p)
}

/** Median time of the `medianTimeSpan` blocks ending at `tipHeight`. */
export function medianTimePast (tipHeight: number, chain: AncestorLookup, p: NetworkParams): number {
  const times: number[] = []
  for (let h = tipHeight; h >= 0 && times.length < p.medianTimeSpan; h--) times.push(chain.ancestor(h).time)
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

/**
 * Checks a header against its branch: difficulty and timestamps. `now` is the
 * local clock in unix seconds. A time too far ahead is 'ignore', not 'reject':
 * it may become valid later and an honest peer's clock may be off.
 */
export function checkHeaderContext (header: BlockHeader, height: number, chain: AncestorLookup, p: NetworkParams, now: number): void {
  const bits = expectedBits(height, chain, p)
  // [REJECT] difficulty differs from the retarget rule
  if (header.bits !== bits) throw new ValidationError('header-bad-diffbits', `bits 0x${header.bits.toString(16)} differ from the required 0x${bits.toString(16)} at height ${height}`)
  const mtp = medianTimePast(height - 1, chain, p)
  // [REJECT] not after the median time of the last blocks
  if (header.time <= mtp) throw new ValidationError('header-time-too-old', `time ${header.time} is not after the median time past ${mtp}`)
  const floor = timewarpFloor(height, chain, p)
  // [REJECT] first block of a retarget period too far before its parent (BIP94)
  if (header.time < floor) throw new ValidationError('header-timewarp', `time ${header.time} of the first block of a retarget period is more than ${maxTimewarp(p)}s before its parent's ${floor + maxTimewarp(p)}`)
  // [IGNORE] too far in the future for now
  if (header.time > now + p.maxFutureBlockTime) throw new ValidationError('header-time-too-new', `time ${header.time} is more than ${p.maxFutureBlockTime}s ahead of local time ${now}`, 'ignore')
}
