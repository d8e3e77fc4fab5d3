// Amounts: decimal strings of base units in the API, coins with 8 decimals
// on screen. Only BigInt and string arithmetic; never a float.

export const DECIMALS = 8
export const COIN = 100000000n
export const MAX_MONEY = 21000000n * COIN
export const TICKER = 'MC'

/** "5000000000" -> "50.00000000"; a leading "-" or "+" is kept. */
export function formatCoins (baseUnits) {
  const s = String(baseUnits)
  if (!/^[-+]?[0-9]+$/.test(s)) return '?'
  const sign = s[0] === '-' || s[0] === '+' ? s[0] : ''
  const digits = (sign === '' ? s : s.slice(1)).replace(/^0+(?=[0-9])/, '').padStart(DECIMALS + 1, '0')
  return `${sign}${digits.slice(0, -DECIMALS)}.${digits.slice(-DECIMALS)}`
}

/** Signed form for a wallet delta: "+1.00000000" / "-0.50000000". */
export function formatDelta (baseUnits) {
  const s = String(baseUnits)
  return s.startsWith('-') ? formatCoins(s) : formatCoins('+' + s.replace(/^\+/, ''))
}

export class AmountError extends Error {}

/**
 * Coins as typed by a person ("1", "0.5", "12.34567891") to base units.
 * At most 8 decimals; no exponent, sign or grouping characters.
 */
export function parseCoins (text, { allowZero = false } = {}) {
  const s = String(text).trim()
  if (s === '') throw new AmountError('enter an amount')
  const m = /^([0-9]*)(?:\.([0-9]*))?$/.exec(s)
  if (m === null || (m[1] === '' && (m[2] ?? '') === '')) throw new AmountError(`"${s.length > 20 ? s.slice(0, 20) + '…' : s}" is not an amount: use digits and an optional decimal point, e.g. 1.5`)
  const whole = m[1] === '' ? '0' : m[1]
  const frac = m[2] ?? ''
  if (frac.length > DECIMALS) throw new AmountError(`at most ${DECIMALS} decimal places (1 base unit = 0.00000001 ${TICKER})`)
  if (whole.replace(/^0+/, '').length > 9) throw new AmountError(`more than the money supply (${formatCoins(MAX_MONEY.toString())} ${TICKER})`)
  const units = BigInt(whole) * COIN + BigInt(frac.padEnd(DECIMALS, '0'))
  if (units > MAX_MONEY) throw new AmountError(`more than the money supply (${formatCoins(MAX_MONEY.toString())} ${TICKER})`)
  if (units === 0n && !allowZero) throw new AmountError('the amount must be more than zero')
  return units
}

/** Sum of decimal base-unit strings, as a string. */
export function sumUnits (values) {
  let total = 0n
  for (const v of values) if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) total += BigInt(v)
  return total.toString()
}
