// Numbers and times for people (not amounts: see amount.js).

export function formatNumber (n) {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'
}

function trimZeros (fixed) {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed
}

/** 1234567 -> "1.23 M", 2500000 -> "2.5 M". */
export function formatSi (n, unit = '') {
  if (!Number.isFinite(n)) return '–'
  const steps = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']]
  for (const [size, prefix] of steps) {
    if (Math.abs(n) >= size) return `${trimZeros((n / size).toFixed(n / size >= 100 ? 0 : 2))} ${prefix}${unit}`
  }
  return `${Math.round(n)}${unit === '' ? '' : ' ' + unit}`
}

export function formatHashRate (hps) {
  return formatSi(hps, 'H/s')
}

export function formatBytes (n) {
  if (!Number.isFinite(n)) return '–'
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`
  return `${(n / 1024 / 1024).toFixed(2)} MB`
}

/** Seconds as "42 s", "3 min 5 s", "2 h 4 min", "3 d 2 h". */
export function formatDuration (seconds) {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 === 0 ? '' : ` ${s % 60} s`}`
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`
}

/** Seconds in one unit, rounded down: "42 s", "3 min", "5 h", "2 d". */
export function formatDurationShort (seconds) {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min`
  if (s < 86400) return `${Math.floor(s / 3600)} h`
  return `${Math.floor(s / 86400)} d`
}

/** Unix seconds as "12 s ago" (or "in 3 s" for a clock ahead of ours). */
export function ago (unixSeconds, nowMs = Date.now()) {
  if (!Number.isFinite(unixSeconds)) return '–'
  const diff = nowMs / 1000 - unixSeconds
  if (diff < -1) return `in ${formatDurationShort(-diff)}`
  if (diff < 2) return 'just now'
  return `${formatDurationShort(diff)} ago`
}

/** Unix seconds as local "2026-11-21 23:52:09". */
export function dateTime (unixSeconds) {
  if (!Number.isFinite(unixSeconds)) return '–'
  const d = new Date(unixSeconds * 1000)
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** Expected hashes per block for compact bits (hex string like "1e03ffff"): 2^256 / (target + 1). */
export function difficultyOfBits (bitsHex) {
  const bits = parseInt(String(bitsHex), 16)
  if (!Number.isFinite(bits)) return NaN
  const exponent = bits >>> 24
  const mantissa = BigInt(bits & 0x007fffff)
  const target = exponent <= 3 ? mantissa >> BigInt(8 * (3 - exponent)) : mantissa << BigInt(8 * (exponent - 3))
  if (target <= 0n) return NaN
  return Number((1n << 256n) / (target + 1n))
}

/** Seconds between blocks each network aims for (src/core/params.ts). */
export const TARGET_BLOCK_TIME = Object.freeze({ devnet: 5, testnet: 60, regtest: 1 })
