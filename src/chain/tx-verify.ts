// Contextual transaction rules, shared by block connection and the mempool:
// the spent coins exist, are mature, belong to the signing keys, and cover
// the outputs. Signatures are returned as checks for the verifier pool.
import { ValidationError } from '../core/errors.js'
import { checkInputOwners, inputSignatureChecks, type SignatureCheck } from '../core/signatures.js'
import { outputsTotal } from '../core/tx.js'
import { toHex } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import type { Transaction } from '../core/types.js'
import type { Coin } from './records.js'

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
  // [REJECT] lock time not reached (lock time is a block height)
  if (tx.lockTime > spendHeight) throw new ValidationError('tx-not-final', `transaction is locked until height ${tx.lockTime}`)
  const spent: Coin[] = []
  const owners: Uint8Array[] = []
  let totalIn = 0n
  for (const input of tx.inputs) {
    const coin = coins.spend(input.prevTxid, input.prevIndex)
    // [REJECT] in a block; the mempool may treat it as an orphan
    if (coin === undefined) throw new ValidationError('tx-missing-inputs', `input ${toHex(input.prevTxid)}:${input.prevIndex} is unknown or already spent`)
    // [REJECT] coinbase outputs need maturity
    if (coin.coinbase && spendHeight - coin.height < p.coinbaseMaturity) {
      throw new ValidationError('tx-premature-coinbase-spend', `coinbase output from height ${coin.height} is spendable from height ${coin.height + p.coinbaseMaturity}`)
    }
    totalIn += coin.amount
    spent.push(coin)
    owners.push(coin.address)
  }
  const totalOut = outputsTotal(tx)
  // [REJECT] outputs exceed inputs
  if (totalIn < totalOut) throw new ValidationError('tx-insufficient-input', `outputs ${totalOut} exceed inputs ${totalIn}`)
  checkInputOwners(tx, owners)
  return { fee: totalIn - totalOut, spent, checks: withChecks ? inputSignatureChecks(tx, p.id) : NO_CHECKS }
}
