// Contextual transaction rules, shared by block connection and the mempool:
// the spent coins exist, are mature, belong to the signing keys, and cover
// the outputs. Signatures are returned as checks for the verifier pool.
import { ValidationError } from '../core/errors.js'
import { checkInputOwners, inputSignatureChecks, type SignatureCheck } from '../core/signatures.js'
import { outputsTotal } from '../core/tx.js'
import { equalBytes, toHex } from '../core/bytes.js'
import { hash160 } from '../core/hash.js'
import type { NetworkParams } from '../core/params.js'
import type { Transaction } from '../core/types.js'
import { COIN_ADDRESS_AT, coinAmountAt, coinHeightAt, isCoinbaseCoinAt, type Coin } from './records.js'

export interface InputsResult {
  fee: bigint
  spent: Coin[]
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
  withChecks = true
): InputsResult {
  checkFinal(tx, spendHeight)
  const spent: Coin[] = []
  const owners: Uint8Array[] = []
  let totalIn = 0n
  for (const input of tx.inputs) {
    const coin = coins.spend(input.prevTxid, input.prevIndex)
    if (coin === undefined) throw missingInput(tx, spent.length)
    checkMaturity(coin.coinbase, coin.height, spendHeight, p)
    totalIn += coin.amount
    spent.push(coin)
    owners.push(coin.address)
  }
  const fee = feeOf(tx, totalIn)
  checkInputOwners(tx, owners)
  return { fee, spent, checks: withChecks ? inputSignatureChecks(tx, p.id) : NO_CHECKS }
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
  // inputs signed by the same key (coins of one address) hash it once
  let lastKey: Uint8Array | undefined
  let lastHash: Uint8Array | undefined
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]
    const coin = coins.spendEncoded(input.prevTxid, input.prevIndex)
    if (coin === undefined) throw missingInput(tx, i)
    checkMaturity(isCoinbaseCoinAt(coin), coinHeightAt(coin), spendHeight, p)
    totalIn += coinAmountAt(coin)
    if (mismatch === -1) {
      if (lastKey === undefined || !equalBytes(lastKey, input.publicKey)) {
        lastKey = input.publicKey
        lastHash = hash160(input.publicKey)
      }
      if (!addressIs(coin, lastHash as Uint8Array)) mismatch = i
    }
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
