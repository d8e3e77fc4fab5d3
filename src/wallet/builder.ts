// Building and signing a payment from the wallet's unspent outputs.
//
// Coin selection takes the fewest inputs that cover amount + fee: the k
// largest coins decide k, then the smallest coin that still completes the
// sum replaces the k-th, so as little as possible is broken into change.
// Candidates are ordered by amount (descending), then txid and index, so the
// same inputs always give the same transaction.
//
// Outputs: the payment first, then change if any. Change below the dust
// threshold would cost more to spend than it is worth; it goes to the fee.
//
// Fee cap: a fee above MAX_FEE (1 MC) is refused unless `force` is set. The
// cap is absolute, like Bitcoin Core's -maxtxfee (0.1 BTC), rather than 10x
// the estimated need: at the default 1 base unit per byte 10x the need is a
// few thousand base units, which would refuse any deliberately generous fee,
// while 1 MC (2% of a block reward) still catches the mistakes that matter: a
// fee typed in the amount's place, a missing decimal shift, a script bug.
import { COIN, MAX_MONEY, type NetworkParams } from '../core/params.js'
import { compareBytes, equalBytes, toHex } from '../core/bytes.js'
import { hash160 } from '../core/hash.js'
import { sighash, txid, txSize } from '../core/tx.js'
import { TX_VERSION, checkTransaction } from '../core/validate.js'
import { signatureChecks } from '../core/signatures.js'
import { isValidationError } from '../core/errors.js'
import { ADDRESS_BYTES, HASH_BYTES, SIGNATURE_BYTES, type Transaction, type TxInput, type TxOutput } from '../core/types.js'
import { publicKeyOf, signDigest, verifyDigest } from '../crypto/keys.js'
import { decodeAddress, encodeAddress } from './address.js'
import type { KeyLookup } from './wallet.js'
import { BuildError, checkAmount, checkFee, FeeTooHighError, InsufficientFundsError } from './build-errors.js'

export { BuildError, FeeTooHighError, InsufficientFundsError, parseAmount, type BuildErrorCode } from './build-errors.js'

/** An output the wallet can spend. */
export interface SpendableOutput {
  txid: Uint8Array
  index: number
  amount: bigint
  /** 20-byte address hash the output pays to; its key signs the input. */
  address: Uint8Array
}

export interface BuildOptions {
  utxos: readonly SpendableOutput[]
  /** Recipient: an address string of this network or a 20-byte hash. */
  to: string | Uint8Array
  /** Base units: a bigint, a safe-integer number or a decimal string. */
  amount: bigint | number | string
  /** Exact fee. Give this or `feeRate`, not both. */
  fee?: bigint | number | string
  /** Base units per byte of the signed transaction. Default DEFAULT_FEE_RATE. */
  feeRate?: bigint | number | string
  changeAddress: string | Uint8Array
  /** The private key for an address hash, or a list of private keys. */
  keys: KeyLookup | readonly Uint8Array[]
  params: NetworkParams
  /** Change below this goes to the fee. Default DEFAULT_DUST_THRESHOLD. */
  dustThreshold?: bigint
  lockTime?: number
  /** Fees above this are refused unless `force`. Default MAX_FEE. */
  maxFee?: bigint
  /** Accept a fee above `maxFee` (an explicit user decision). */
  force?: boolean
}

export interface BuiltTransaction {
  tx: Transaction
  txid: Uint8Array
  /** What the inputs leave to the miner (includes any dust change). */
  fee: bigint
  /** The change output's amount, 0 when there is none. */
  change: bigint
  /** The outputs spent, in input order. */
  spent: SpendableOutput[]
  size: number
}

export const DEFAULT_FEE_RATE = 1n
export const DEFAULT_DUST_THRESHOLD = 546n
/** The fee cap (see the header): 1 MC. */
export const MAX_FEE = COIN

// ---- inputs and keys -------------------------------------------------------

function addressHash (address: string | Uint8Array, what: string, params: NetworkParams): Uint8Array {
  if (typeof address === 'string') return decodeAddress(address, params)
  if (!(address instanceof Uint8Array) || address.length !== ADDRESS_BYTES) throw new BuildError('bad-address', `${what} must be an address string or a ${ADDRESS_BYTES}-byte hash`)
  return address
}

function checkUtxos (utxos: readonly SpendableOutput[]): SpendableOutput[] {
  const seen = new Set<string>()
  for (const u of utxos) {
    const ok = u.txid instanceof Uint8Array && u.txid.length === HASH_BYTES &&
      Number.isInteger(u.index) && u.index >= 0 && u.index <= 0xffffffff &&
      typeof u.amount === 'bigint' && u.amount > 0n && u.amount <= MAX_MONEY &&
      u.address instanceof Uint8Array && u.address.length === ADDRESS_BYTES
    if (!ok) throw new BuildError('bad-utxo', 'each utxo needs a 32-byte txid, a uint32 index, a positive bigint amount and a 20-byte address')
    const outpoint = `${toHex(u.txid)}:${u.index}`
    if (seen.has(outpoint)) throw new BuildError('duplicate-utxo', `utxo ${outpoint} is listed twice`)
    seen.add(outpoint)
  }
  return [...utxos].sort((a, b) =>
    a.amount === b.amount ? (compareBytes(a.txid, b.txid) || a.index - b.index) : (a.amount > b.amount ? -1 : 1))
}

function keyLookupOf (keys: KeyLookup | readonly Uint8Array[]): KeyLookup {
  if (typeof keys === 'function') return keys
  const byAddress = new Map<string, Uint8Array>()
  for (const k of keys) byAddress.set(toHex(hash160(publicKeyOf(k))), k)
  return (hash) => byAddress.get(toHex(hash))
}

// ---- coin selection --------------------------------------------------------

/** Fewest coins of `sorted` (largest first) whose sum reaches `target`, or null. */
export function selectCoins (sorted: readonly SpendableOutput[], target: bigint): SpendableOutput[] | null {
  let sum = 0n
  let k = 0
  while (k < sorted.length && sum < target) sum += sorted[k++].amount
  if (sum < target) return null
  const headSum = sum - sorted[k - 1].amount
  // Scanning up from the smallest coin finds the least change; sorted[k-1] itself always qualifies.
  for (let j = sorted.length - 1; j >= k - 1; j--) {
    if (headSum + sorted[j].amount >= target) return [...sorted.slice(0, k - 1), sorted[j]]
  }
  throw new Error('unreachable: the k-th largest coin completes the sum')
}

function sum (coins: readonly SpendableOutput[]): bigint {
  return coins.reduce((s, c) => s + c.amount, 0n)
}

// Signatures have a fixed length, so a placeholder gives the signed size exactly.
const PLACEHOLDER_SIGNATURE = new Uint8Array(SIGNATURE_BYTES)
const EMPTY = new Uint8Array(0)

function assemble (coins: readonly SpendableOutput[], publicKeys: readonly Uint8Array[], outputs: TxOutput[], lockTime: number, signature: (index: number) => Uint8Array = () => PLACEHOLDER_SIGNATURE): Transaction {
  const inputs: TxInput[] = coins.map((c, i) => ({ prevTxid: c.txid, prevIndex: c.index, publicKey: publicKeys[i], signature: signature(i) }))
  return { version: TX_VERSION, inputs, outputs, lockTime, coinbase: EMPTY }
}

// ---- building --------------------------------------------------------------

export function buildTransaction (options: BuildOptions): BuiltTransaction {
  const { params } = options
  const amount = checkAmount(options.amount)
  if (options.fee !== undefined && options.feeRate !== undefined) throw new BuildError('fee-and-fee-rate', 'give either fee or feeRate, not both')
  const fixedFee = options.fee === undefined ? undefined : checkFee(options.fee, 'fee', 'bad-fee')
  const feeRate = options.feeRate === undefined ? DEFAULT_FEE_RATE : checkFee(options.feeRate, 'fee rate', 'bad-fee-rate')
  const dust = options.dustThreshold ?? DEFAULT_DUST_THRESHOLD
  const lockTime = options.lockTime ?? 0
  const maxFee = options.maxFee ?? MAX_FEE
  const force = options.force === true
  // a fixed fee above the cap fails before any coin is looked at
  if (fixedFee !== undefined && fixedFee > maxFee && !force) throw new FeeTooHighError(fixedFee, maxFee)
  const to = addressHash(options.to, 'recipient', params)
  const changeTo = addressHash(options.changeAddress, 'change address', params)
  const candidates = checkUtxos(options.utxos)
  const available = sum(candidates)

  // Every listed coin must be ours: a coin we cannot sign for is a caller's bug, better found now.
  const lookup = keyLookupOf(options.keys)
  const keyOf = new Map<SpendableOutput, Uint8Array>()
  for (const c of candidates) {
    const key = lookup(c.address)
    if (key === undefined) throw new BuildError('no-key', `no private key for address ${encodeAddress(c.address, params)} (utxo ${toHex(c.txid)}:${c.index})`)
    keyOf.set(c, key)
  }
  const publicKeyCache = new Map<SpendableOutput, Uint8Array>()
  const publicKeysOf = (coins: readonly SpendableOutput[]): Uint8Array[] => coins.map(c => {
    let pub = publicKeyCache.get(c)
    if (pub === undefined) {
      pub = publicKeyOf(keyOf.get(c) as Uint8Array)
      if (!equalBytes(hash160(pub), c.address)) throw new BuildError('key-mismatch', `the key given for address ${encodeAddress(c.address, params)} belongs to another address`)
      publicKeyCache.set(c, pub)
    }
    return pub
  })
  const payment: TxOutput = { amount, address: to }
  const sizeOf = (coins: readonly SpendableOutput[], outputs: TxOutput[]): number => txSize(assemble(coins, publicKeysOf(coins), outputs, lockTime))

  // 1. Inputs, and the fee they need without change. With a fee rate, the fee
  // grows with the inputs chosen; it only ever rises, and it is bounded by
  // the fee of spending every coin, so the loop ends.
  let coins: SpendableOutput[]
  let fee = fixedFee ?? 0n
  for (;;) {
    const chosen = selectCoins(candidates, amount + fee)
    if (chosen === null) {
      const neededFee = fixedFee ?? feeRate * BigInt(sizeOf(candidates, [payment]))
      throw new InsufficientFundsError(available, amount, neededFee > fee ? neededFee : fee)
    }
    if (fixedFee !== undefined) { coins = chosen; break }
    const required = feeRate * BigInt(sizeOf(chosen, [payment]))
    if (required <= fee) { coins = chosen; fee = required; break }
    fee = required
  }

  // 2. Change. Adding the change output costs its own bytes; one step is
  // enough because a smaller change amount never encodes longer.
  const total = sum(coins)
  let change = total - amount - fee
  if (change > 0n && fixedFee === undefined) {
    change = total - amount - feeRate * BigInt(sizeOf(coins, [payment, { amount: change, address: changeTo }]))
  }
  if (change < dust || change <= 0n) change = 0n
  const outputs = change > 0n ? [payment, { amount: change, address: changeTo }] : [payment]
  fee = total - amount - change
  // a fee rate times a large transaction can pass the cap too
  if (fee > maxFee && !force) throw new FeeTooHighError(fee, maxFee)

  // 3. Sign: every input signs the same digest, which commits to all inputs and outputs.
  const publicKeys = publicKeysOf(coins)
  const unsigned = assemble(coins, publicKeys, outputs, lockTime, () => EMPTY)
  const digest = sighash(unsigned, params.id)
  const tx = assemble(coins, publicKeys, outputs, lockTime, i => signDigest(digest, keyOf.get(coins[i]) as Uint8Array))

  const size = txSize(tx)
  if (size > params.maxTxSize) throw new BuildError('tx-too-large', `the transaction would be ${size} bytes (limit ${params.maxTxSize}) with ${coins.length} inputs; consolidate coins first`)
  try {
    checkTransaction(tx, params)
  } catch (err) {
    if (isValidationError(err)) throw new BuildError('invalid-transaction', `built transaction is invalid: ${err.message}`, { cause: err })
    throw err
  }
  if (!verifyTransactionSignatures(tx, coins.map(c => c.address), params.id)) throw new BuildError('invalid-transaction', 'a signature of the built transaction does not verify')
  return { tx, txid: txid(tx), fee, change, spent: coins, size }
}

/**
 * True when every input's public key hashes to the address it spends and its
 * signature verifies against the transaction's sighash (reference verifier).
 */
export function verifyTransactionSignatures (tx: Transaction, spentAddresses: readonly Uint8Array[], networkId: string): boolean {
  try {
    return signatureChecks(tx, spentAddresses, networkId).every(c => verifyDigest(c.signature, c.digest, c.publicKey))
  } catch (err) {
    if (isValidationError(err)) return false
    throw err
  }
}
