// bech32m address checks in the browser (BIP-350), so the send form can
// refuse a mistyped or foreign address before anything reaches the node.
// Mirrors src/wallet/address.ts: the same checks, in the same order, with
// messages a user can act on. The checksum and the 5-to-8-bit conversion are
// @scure/base's, the library the node uses, served by the node under /vendor/.
import { bech32, bech32m } from '/vendor/@scure/base/index.js'

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
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
  for (const ch of data) {
    if (!CHARSET.includes(ch)) throw new AddressError('bad-character', `the address contains '${ch}', which never appears in an address (mistyped?)`)
  }
  if (data.length < 6) throw new AddressError('bad-checksum', 'the address is too short to carry a checksum')
  // Checksum first: until it holds, the prefix itself may be a typo.
  const decoded = bech32m.decodeUnsafe(lower, MAX_LENGTH)
  if (decoded === undefined) {
    if (bech32.decodeUnsafe(lower, MAX_LENGTH) !== undefined) throw new AddressError('bad-checksum', 'the address has a bech32 checksum, not bech32m: it is not a minicoin address')
    throw new AddressError('bad-checksum', 'checksum mismatch — mistyped address?')
  }
  if (expected !== undefined && prefix !== expected) {
    const other = prefixNetwork(prefix)
    if (other !== undefined) throw new AddressError('wrong-network', `address is for network '${other}' (prefix ${prefix}), this node runs '${network}'`)
    throw new AddressError('unknown-prefix', `unknown address prefix '${prefix}': addresses on '${network}' start with '${expected}1'`)
  }
  const hash = bech32m.fromWordsUnsafe(decoded.words)
  if (hash === undefined) throw new AddressError('bad-length', `the address payload is not a whole number of bytes; expected a ${ADDRESS_BYTES}-byte hash`)
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
