// The contextual checks of a transaction against chain + pool: inputs exist
// and are not spent by another pending transaction, maturity, lock time, fee
// policy and the chain limits. Pure lookups, no change to the pool.
import { toHex } from '../core/bytes.js'
import { ValidationError } from '../core/errors.js'
import { txSize } from '../core/tx.js'
import type { Transaction } from '../core/types.js'
import type { Chain } from '../chain/chain.js'
import { COIN_BYTES, encodeCoin, isCoinbaseCoinAt } from '../chain/records.js'
import { checkEncodedTxInputs, type EncodedCoinSpender } from '../chain/tx-verify.js'
import type { SignatureCheck } from '../core/signatures.js'
import { NO_LINKS, type MempoolEntry } from './entry.js'
import { ancestorsWithinLimits, type MempoolLimits } from './limits.js'
import type { InsertFacts, PoolStore } from './pool-store.js'
import { describeOutpoint, outpoint, outpointBytes, txidHexOf } from './keys.js'

/** InsertFacts (with the outpoint keys, made once here for the re-check and the insertion) and the signature checks. */
export interface InputsChecked extends InsertFacts {
  checks: SignatureCheck[]
}
export interface PoolPolicy {
  /** Minimum fee in base units per byte. */
  minFeeRate: bigint
  limits: MempoolLimits
}

/**
 * Throws ValidationError ('ignore' for what is merely unwanted now); signature checks only when `withChecks`.
 *
 * "Already confirmed?" is asked only when an input is missing: a transaction
 * in the active chain has spent every outpoint it names (txids are unique,
 * BIP34), so one whose inputs all exist in the UTXO set or the pool cannot
 * be confirmed. That saves a database read on every valid transaction.
 */
export function checkPoolInputs (tx: Transaction, id: Uint8Array, chain: Chain, store: PoolStore, policy: PoolPolicy, withChecks: boolean): InputsChecked {
  const spendHeight = chain.height + 1
  const lookup = new PoolCoins(chain, store, spendHeight, tx.lockTime > 0, tx.inputs.length)
  let result
  try {
    result = checkEncodedTxInputs(tx, lookup, spendHeight, chain.params, withChecks)
  } catch (err) {
    if (err instanceof ValidationError && err.code === 'tx-missing-inputs') {
      // [IGNORE] already confirmed: its inputs are spent by itself
      if (chain.getTxLocation(id) !== undefined) throw new ValidationError('txn-already-confirmed', `transaction ${toHex(id)} is already in the chain`, 'ignore')
      // An unknown input may be a parent we have not seen yet: not the sender's fault.
      throw new ValidationError(err.code, err.message, 'ignore')
    }
    throw err
  }
  const size = txSize(tx)
  const minFee = policy.minFeeRate * BigInt(size)
  // [IGNORE] policy: pays too little to relay
  if (result.fee < minFee) throw new ValidationError('tx-fee-too-low', `fee ${result.fee} is below the minimum ${minFee} (${policy.minFeeRate}/byte)`, 'ignore')
  // [IGNORE] policy: too many or too large unconfirmed ancestors or descendants
  const ancestors = ancestorsWithinLimits(lookup.parents, size, policy.limits)
  return { fee: result.fee, parents: lookup.parents, ancestors, heightSensitive: lookup.heightSensitive, checks: result.checks, outpoints: lookup.outpoints }
}

/**
 * checkPoolInputs' verdict again for a transaction checked as `first`, when
 * the pool has only gained transactions since (PoolStore.disruptions
 * unchanged: no removal, no tip move). The coins found then are all still
 * there (only a removal or a block takes one away), so the fee, maturity,
 * lock time and parents stand; an insertion can only have spent one of the
 * outpoints (a concurrent double spend) or grown the packages of the
 * parents (the ancestor and descendant limits). Those two are checked again.
 */
export function recheckAfterInsertions (tx: Transaction, first: InputsChecked, store: PoolStore, limits: MempoolLimits): InputsChecked {
  for (const key of first.outpoints) {
    const other = store.spentBy.get(key)
    // [IGNORE] first seen wins a double spend
    if (other !== undefined) throw conflict(key, other)
  }
  if (first.parents.size === 0) return first
  // [IGNORE] policy: too many or too large unconfirmed ancestors or descendants
  return { ...first, ancestors: ancestorsWithinLimits(first.parents, txSize(tx), limits) }
}

/** [IGNORE] first seen wins a double spend */
function conflict (key: string, other: MempoolEntry): ValidationError {
  return new ValidationError('txn-mempool-conflict', `outpoint ${describeOutpoint(key)} is already spent by pending transaction ${other.txidHex}`, 'ignore')
}

/** A pending parent's output, encoded as the chain's coins are: read before the next lookup. */
const parentCoin = new Uint8Array(COIN_BYTES)

/**
 * An input's coin from the pool (a pending parent's output) or the chain,
 * refusing an outpoint another pending transaction spends; notes the parents
 * and whether the answer depends on the height. A class, not a closure per
 * call: acceptance is the hot path. One string per input (the outpoint key,
 * kept for the insertion) serves the double-spend index and the coin cache;
 * a parent is looked up by hex only when the pool may hold it; the coin is
 * read in place.
 */
class PoolCoins implements EncodedCoinSpender {
  /** A set of its own once a pending parent is found (most transactions have none). */
  parents: Set<MempoolEntry> = NO_LINKS
  /** One per input, in input order (its exact size: no growth of the array). */
  readonly outpoints: string[]
  private spent = 0

  constructor (
    private readonly chain: Chain,
    private readonly store: PoolStore,
    private readonly spendHeight: number,
    public heightSensitive: boolean,
    inputs: number
  ) {
    this.outpoints = new Array<string>(inputs)
  }

  spendEncoded (prev: Uint8Array, index: number): Uint8Array | undefined {
    const key = outpoint(prev, index)
    this.outpoints[this.spent++] = key
    const other = this.store.spentBy.get(key)
    if (other !== undefined) throw conflict(key, other)
    // the hex of the txid only when a pending transaction may have it
    const parent = this.store.mayHold(prev) ? this.store.entries.get(txidHexOf(prev)) : undefined
    if (parent !== undefined) {
      const out = parent.tx.outputs[index]
      if (out === undefined) return undefined
      if (this.parents === NO_LINKS) this.parents = new Set()
      this.parents.add(parent)
      return encodeCoin({ amount: out.amount, address: out.address, height: this.spendHeight, coinbase: false }, parentCoin)
    }
    // outpointBytes still holds this key's bytes: nothing in keys.ts ran since
    const coin = this.chain.getEncodedCoinAt(outpointBytes, key)
    if (coin !== undefined && isCoinbaseCoinAt(coin)) this.heightSensitive = true
    return coin
  }
}
