// Contextual transaction rules, shared by block connection and the mempool:
// the spent coins exist, are mature, belong to the signing keys, and cover
// the outputs. Signatures are returned as checks for the verifier pool.
import { ValidationError } from '../core/errors.js'
import { inputSignatureChecks, type SignatureCheck } from '../core/signatures.js'
import { hash160KeyInto, KEY_BYTES } from '../core/hash160-key.js'
import { outputsTotal } from '../core/tx.js'
import { equalBytes, toHex } from '../core/bytes.js'
import { hash160 } from '../core/hash.js'
import type { NetworkParams } from '../core/params.js'
import type { Transaction } from '../core/types.js'
import { COIN_ADDRESS_AT, coinAmountAt, coinHeightAt, isCoinbaseCoinAt, type Coin } from './records.js'

export interface InputsResult {
  fee: bigint
  checks: SignatureCheck[]
}

/**
 * `spend` returns the coin an outpoint refers to (marking it spent when the
 * caller tracks that) or undefined when it is missing or already spent. An
 * object rather than a callback: callers pass what they have (a CoinView,
 * the mempool's lookup) without making a closure for every transaction.
 */
export interface CoinSpender {
  spend: (txid: Uint8Array, index: number) => Coin | undefined
}

// a block's checks are made up front (block-signatures.ts): one shared empty list, not one per transaction
const NO_CHECKS: SignatureCheck[] = Object.freeze([]) as unknown as SignatureCheck[]

export function checkTxInputs (
  tx: Transaction,
  coins: CoinSpender,
  spendHeight: number,
  p: NetworkParams,
  /** false when the caller already has the signature checks (a block verifies them up front). */
  withChecks = true,
  /**
   * When given, emptied, then filled with the spent coins in input order
   * (a block's undo data and address index): the caller's array, reused for
   * every transaction rather than one made per transaction.
   */
  spent?: Coin[]
): InputsResult {
  checkFinal(tx, spendHeight)
  if (spent !== undefined) spent.length = 0
  const inputs = tx.inputs
  let totalIn = 0n
  // checkInputOwners' rule in this loop (no array of owners per
  // transaction), its error still reported after the amounts
  let mismatch = -1
  lastKey = undefined
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]
    const coin = coins.spend(input.prevTxid, input.prevIndex)
    if (coin === undefined) throw missingInput(tx, i)
    checkMaturity(coin.coinbase, coin.height, spendHeight, p)
    totalIn += coin.amount
    if (spent !== undefined) spent.push(coin)
    if (mismatch === -1 && !equalBytes(ownerHash(input.publicKey), coin.address)) mismatch = i
  }
  const fee = feeOf(tx, totalIn)
  if (mismatch !== -1) throw pubkeyMismatch(mismatch)
  return { fee, checks: withChecks ? inputSignatureChecks(tx, p.id) : NO_CHECKS }
}

// a key's hash is compared at once: one 20-byte array for all of them
const keyHashOut = new Uint8Array(20)

/** hash160 of a public key, into keyHashOut when it has a key's length (read before the next call). */
function keyHash (publicKey: Uint8Array): Uint8Array {
  return publicKey.length === KEY_BYTES ? hash160KeyInto(publicKey, keyHashOut) : hash160(publicKey)
}

// The last key ownerHash hashed and its hash: inputs signed by the same key
// (coins of one address) hash it once. Both input loops reset it per
// transaction, so it holds no earlier transaction's key.
let lastKey: Uint8Array | undefined
let lastHash: Uint8Array = keyHashOut

/** The hash160 an input's coin must be locked to (read before the next keyHash). */
function ownerHash (publicKey: Uint8Array): Uint8Array {
  if (lastKey === undefined || !equalBytes(lastKey, publicKey)) {
    lastKey = publicKey
    lastHash = keyHash(publicKey)
  }
  return lastHash
}

/**
 * The mempool's lookup (pool-inputs.ts): a coin as its encoding
 * (records.ts, COIN_BYTES from offset 0), read in place and only until the
 * next call. No Coin object, address view or array per input.
 */
export interface EncodedCoinSpender {
  spendEncoded: (txid: Uint8Array, index: number) => Uint8Array | undefined
}

/**
 * checkTxInputs over encoded coins: the same rules, in the same order, with
 * the same errors (a key that does not hash to its coin's address is
 * reported after the amounts, as checkInputOwners does), and no record of
 * the spent coins (the mempool keeps none). A loop of its own, so that each
 * loop's lookup call site sees one kind of lookup (a block's CoinView or
 * the pool's): a call site that saw both had its compiled code thrown away
 * whenever a block came between transactions (BENCHMARKS.md, session 8).
 */
export function checkEncodedTxInputs (tx: Transaction, coins: EncodedCoinSpender, spendHeight: number, p: NetworkParams, withChecks = true): { fee: bigint, checks: SignatureCheck[] } {
  checkFinal(tx, spendHeight)
  const inputs = tx.inputs
  let totalIn = 0n
  let mismatch = -1
  lastKey = undefined
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]
    const coin = coins.spendEncoded(input.prevTxid, input.prevIndex)
    if (coin === undefined) throw missingInput(tx, i)
    checkMaturity(isCoinbaseCoinAt(coin), coinHeightAt(coin), spendHeight, p)
    totalIn += coinAmountAt(coin)
    if (mismatch === -1 && !addressIs(coin, ownerHash(input.publicKey))) mismatch = i
  }
  const fee = feeOf(tx, totalIn)
  if (mismatch !== -1) throw pubkeyMismatch(mismatch)
  return { fee, checks: withChecks ? inputSignatureChecks(tx, p.id) : NO_CHECKS }
}

function checkFinal (tx: Transaction, spendHeight: number): void {
  // [REJECT] lock time not reached (lock time is a block height)
  if (tx.lockTime > spendHeight) throw new ValidationError('tx-not-final', `transaction is locked until height ${tx.lockTime}`)
}

/** [REJECT] in a block; the mempool may treat it as an orphan */
function missingInput (tx: Transaction, i: number): ValidationError {
  const input = tx.inputs[i]
  return new ValidationError('tx-missing-inputs', `input ${toHex(input.prevTxid)}:${input.prevIndex} is unknown or already spent`)
}

function checkMaturity (coinbase: boolean, height: number, spendHeight: number, p: NetworkParams): void {
  // [REJECT] coinbase outputs need maturity
  if (coinbase && spendHeight - height < p.coinbaseMaturity) {
    throw new ValidationError('tx-premature-coinbase-spend', `coinbase output from height ${height} is spendable from height ${height + p.coinbaseMaturity}`)
  }
}

function feeOf (tx: Transaction, totalIn: bigint): bigint {
  const totalOut = outputsTotal(tx)
  // [REJECT] outputs exceed inputs
  if (totalIn < totalOut) throw new ValidationError('tx-insufficient-input', `outputs ${totalOut} exceed inputs ${totalIn}`)
  return totalIn - totalOut
}

/** checkInputOwners' error (core/signatures.ts): no signature can fix that. */
function pubkeyMismatch (i: number): ValidationError {
  return new ValidationError('tx-pubkey-mismatch', `input ${i}: public key does not hash to the address of the output it spends`)
}

/** Whether the encoded coin's address is `hash` (20 bytes), compared in place. */
function addressIs (coin: Uint8Array, hash: Uint8Array): boolean {
  if (hash.length !== 20) return false
  for (let j = 0; j < 20; j++) if (coin[COIN_ADDRESS_AT + j] !== hash[j]) return false
  return true
}
