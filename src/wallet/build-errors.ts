// What building a payment refuses, and the amount checks that refuse it:
// every BuildError has a code the API and the CLI pass on unchanged.
import { COIN, MAX_MONEY } from '../core/params.js'

export type BuildErrorCode =
  | 'amount-not-integer'
  | 'amount-not-positive'
  | 'amount-too-large'
  | 'bad-fee'
  | 'fee-too-high'
  | 'bad-fee-rate'
  | 'fee-and-fee-rate'
  | 'bad-address'
  | 'bad-utxo'
  | 'duplicate-utxo'
  | 'insufficient-funds'
  | 'no-key'
  | 'key-mismatch'
  | 'tx-too-large'
  | 'invalid-transaction'

export class BuildError extends Error {
  readonly code: BuildErrorCode

  constructor (code: BuildErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'BuildError'
    this.code = code
  }
}

export class InsufficientFundsError extends BuildError {
  readonly available: bigint
  readonly needed: bigint

  constructor (available: bigint, amount: bigint, fee: bigint) {
    const needed = amount + fee
    super('insufficient-funds', `insufficient funds: ${available} available, ${needed} needed (amount ${amount} + fee ${fee})`)
    this.name = 'InsufficientFundsError'
    this.available = available
    this.needed = needed
  }
}

const INTEGER = /^-?[0-9]+$/

/**
 * Reads an amount of base units without ever going through a float: a
 * bigint, a safe-integer number, or a decimal integer string. Only checks
 * that it is an integer; range checks are the caller's.
 */
export function parseAmount (value: unknown, what = 'amount', code: BuildErrorCode = 'amount-not-integer'): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  if (typeof value === 'string' && INTEGER.test(value.trim())) return BigInt(value.trim())
  const shown = typeof value === 'string' ? `'${value}'` : String(value)
  throw new BuildError(code, `${what} must be a whole number of base units, got ${shown}`)
}

export function checkAmount (value: unknown): bigint {
  const amount = parseAmount(value)
  if (amount <= 0n) throw new BuildError('amount-not-positive', `amount must be positive, got ${amount}`)
  if (amount > MAX_MONEY) throw new BuildError('amount-too-large', `amount ${amount} exceeds the money supply (${MAX_MONEY})`)
  return amount
}

export function checkFee (value: unknown, what: string, code: 'bad-fee' | 'bad-fee-rate'): bigint {
  const fee = parseAmount(value, what, code)
  if (fee < 0n || fee > MAX_MONEY) throw new BuildError(code, `${what} must be between 0 and ${MAX_MONEY}, got ${fee}`)
  return fee
}

export class FeeTooHighError extends BuildError {
  readonly fee: bigint
  readonly maxFee: bigint

  constructor (fee: bigint, maxFee: bigint) {
    super('fee-too-high', `the fee ${fee} base units is above the cap of ${maxFee} base units (${Number(maxFee) / Number(COIN)} MC); ` +
      'check the amount and fee, or force it (API: "force": true; CLI: --force)')
    this.name = 'FeeTooHighError'
    this.fee = fee
    this.maxFee = maxFee
  }
}
