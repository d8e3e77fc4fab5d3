// bech32m address checks in the browser (BIP-350), so the send form can
// refuse a mistyped or foreign address before anything reaches the node.
// Mirrors src/wallet/address.ts: the same checks, in the same order, with
// messages a user can act on.

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
const BECH32M_CONST = 0x2bc830a3
const BECH32_CONST = 1
const GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
const MAX_LENGTH = 90
const ADDRESS_BYTES = 20

/** Address prefixes of the known networks (src/core/params.ts). */
export const NETWORK_PREFIXES = Object.freeze({ devnet: 'mc', testnet: 'tmc', regtest: 'mcrt' })

export class AddressError extends Error {
  constructor (code, message) {
    super(message)
    this.name = 'AddressError'
    this.code = code
  }
}

function polymod (values) {
  let chk = 1
  for (const v of values) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ v
    for (let i = 0; i < 5; i++) if (((top >>> i) & 1) === 1) chk ^= GENERATORS[i]
  }
  return chk >>> 0
}

function hrpExpand (hrp) {
  const out = []
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5)
  out.push(0)
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31)
  return out
}

/** The checksum constant a lower-case string satisfies: 'bech32m', 'bech32' or null. */
function checksumKind (hrp, words) {
  const c = polymod([...hrpExpand(hrp), ...words])
  if (c === BECH32M_CONST) return 'bech32m'
  if (c === BECH32_CONST) return 'bech32'
  return null
}

/** 5-bit words to bytes; null when the padding is not zero or too long (BIP-173). */
function wordsToBytes (words) {
  let acc = 0
  let bits = 0
  const out = []
  for (const w of words) {
    acc = (acc << 5) | w
    bits += 5
    while (bits >= 8) {
      bits -= 8
      out.push((acc >> bits) & 0xff)
    }
    acc &= (1 << bits) - 1
  }
  if (bits >= 5 || acc !== 0) return null
  return new Uint8Array(out)
}

function prefixNetwork (prefix) {
  return Object.keys(NETWORK_PREFIXES).find(id => NETWORK_PREFIXES[id] === prefix)
}

/**
 * The 20-byte hash of a valid address of `network`; throws AddressError.
 * Surrounding whitespace is ignored, all upper case is accepted, mixed case is not.
 */
export function decodeAddress (address, network) {
  const expected = NETWORK_PREFIXES[network]
  if (typeof address !== 'string') throw new AddressError('not-a-string', 'an address must be text')
  const str = address.trim()
  if (str.length === 0) throw new AddressError('empty', 'enter an address')
  if (str.length > MAX_LENGTH) throw new AddressError('too-long', `the address is ${str.length} characters, longer than any valid address`)
  const lower = str.toLowerCase()
  if (str !== lower && str !== str.toUpperCase()) throw new AddressError('mixed-case', 'the address mixes upper and lower case; write it all in lower case')
  const sep = lower.lastIndexOf('1')
  if (sep <= 0) throw new AddressError('no-separator', `not an address: expected '${expected ?? 'mc'}1…'`)
  const prefix = lower.slice(0, sep)
  const data = lower.slice(sep + 1)
  for (const ch of prefix) {
    const code = ch.charCodeAt(0)
    if (code < 33 || code > 126) throw new AddressError('bad-character', 'the address prefix contains a character that never appears in an address')
  }
  const words = []
  for (const ch of data) {
    const v = CHARSET.indexOf(ch)
    if (v === -1) throw new AddressError('bad-character', `the address contains '${ch}', which never appears in an address (mistyped?)`)
    words.push(v)
  }
  if (words.length < 6) throw new AddressError('bad-checksum', 'the address is too short to carry a checksum')
  // Checksum first: until it holds, the prefix itself may be a typo.
  const kind = checksumKind(prefix, words)
  if (kind === 'bech32') throw new AddressError('bad-checksum', 'the address has a bech32 checksum, not bech32m: it is not a minicoin address')
  if (kind === null) throw new AddressError('bad-checksum', 'checksum mismatch — mistyped address?')
  if (expected !== undefined && prefix !== expected) {
    const other = prefixNetwork(prefix)
    if (other !== undefined) throw new AddressError('wrong-network', `address is for network '${other}' (prefix ${prefix}), this node runs '${network}'`)
    throw new AddressError('unknown-prefix', `unknown address prefix '${prefix}': addresses on '${network}' start with '${expected}1'`)
  }
  const hash = wordsToBytes(words.slice(0, -6))
  if (hash === null) throw new AddressError('bad-length', `the address payload is not a whole number of bytes; expected a ${ADDRESS_BYTES}-byte hash`)
  if (hash.length !== ADDRESS_BYTES) throw new AddressError('bad-length', `the address carries a ${hash.length}-byte payload, expected a ${ADDRESS_BYTES}-byte hash`)
  return hash
}

/** null when valid, else the reason. */
export function addressProblem (address, network) {
  try {
    decodeAddress(address, network)
    return null
  } catch (err) {
    if (err instanceof AddressError) return err.message
    throw err
  }
}
