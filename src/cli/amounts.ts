// Amounts on the command line are coins with decimals, as bitcoin-cli takes
// BTC: `send <to> 1.5` pays 1.5 MC. Base units (1 MC = 100000000) only with
// an explicit suffix, `150000000sat`, for scripts that already count them.
// Everything stays an integer string: the decimal point is moved, never a float.
import { UsageError } from './errors.js'
import { DECIMALS } from './format.js'

const COINS = /^([0-9]*)(?:\.([0-9]*))?$/
const BASE_UNITS = /^([0-9]+)sats?$/

export const AMOUNT_FORMS = `MC with up to ${DECIMALS} decimals such as 1.5, or base units with the suffix sat such as 150000000sat`

/**
 * Base units (a decimal string) from `value` as typed; `what` names it in
 * errors (`<amount>`, `--fee`). Zero only when `zeroOk`; never negative.
 */
export function parseAmount (value: string, what: string, command: string, zeroOk: boolean): string {
  const text = value.trim()
  if (/^-/.test(text)) throw new UsageError(`${what}: ${zeroOk ? 'cannot be negative' : 'must be positive'}, got '${value}'`, command)
  let units: bigint
  const base = BASE_UNITS.exec(text)
  const coins = COINS.exec(text)
  if (base !== null) {
    units = BigInt(base[1])
  } else if (coins !== null && (coins[1] !== '' || (coins[2] ?? '') !== '')) {
    const fraction = coins[2] ?? ''
    if (fraction.length > DECIMALS) throw new UsageError(`${what}: MC has ${DECIMALS} decimals at most (1 base unit = 0.00000001 MC), got '${value}'`, command)
    units = BigInt(coins[1] === '' ? '0' : coins[1]) * 10n ** BigInt(DECIMALS) + BigInt(fraction.padEnd(DECIMALS, '0'))
  } else {
    throw new UsageError(`${what}: expected ${AMOUNT_FORMS}; got '${value}'`, command)
  }
  if (units === 0n && !zeroOk) throw new UsageError(`${what}: must be positive, got '${value}'`, command)
  return units.toString()
}
