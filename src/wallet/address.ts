// Addresses: the 20-byte hash160 of a compressed public key, written as
// bech32m with the network's prefix ('mc1...', 'tmc1...', 'mcrt1...').
// bech32m's checksum catches any mistyping of up to 4 characters, and the
// prefix keeps coins of one network from being sent to another's address.
import { bech32, bech32m } from '@scure/base'
import { hash160 } from '../core/hash.js'
import { networks, type NetworkParams } from '../core/params.js'
import { ADDRESS_BYTES, PUBLIC_KEY_BYTES } from '../core/types.js'

export type AddressErrorCode =
  | 'not-a-string'
  | 'empty'
  | 'too-long'
  | 'mixed-case'
  | 'no-separator'
  | 'bad-character'
  | 'bad-checksum'
  | 'wrong-network'
  | 'unknown-prefix'
  | 'bad-length'

export class AddressError extends Error {
  readonly code: AddressErrorCode

  constructor (code: AddressErrorCode, message: string) {
    super(message)
    this.name = 'AddressError'
    this.code = code
  }
}

// BIP173's limit; our addresses are at most 4 + 1 + 32 + 6 = 43 characters.
const MAX_LENGTH = 90
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'

export function encodeAddress (hash: Uint8Array, params: NetworkParams): string {
  if (hash.length !== ADDRESS_BYTES) throw new AddressError('bad-length', `an address hash is ${ADDRESS_BYTES} bytes, got ${hash.length}`)
  return bech32m.encode(params.addressPrefix, bech32m.toWords(hash))
}

export function addressOfPublicKey (publicKey: Uint8Array, params: NetworkParams): string {
  return encodeAddress(addressHashOfPublicKey(publicKey), params)
}

export function addressHashOfPublicKey (publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError(`a public key is ${PUBLIC_KEY_BYTES} bytes (compressed), got ${publicKey.length}`)
  return hash160(publicKey)
}

function networkOfPrefix (prefix: string): NetworkParams | undefined {
  return Object.values(networks).find(n => n.addressPrefix === prefix)
}

/**
 * The 20-byte hash an address stands for on this network. Every way an
 * address can be wrong gets its own code and a message a user can act on.
 * Surrounding whitespace (a sloppy paste) is ignored; all-uppercase is
 * accepted as bech32 allows (QR codes), mixed case is not.
 */
export function decodeAddress (address: unknown, params: NetworkParams): Uint8Array {
  if (typeof address !== 'string') throw new AddressError('not-a-string', `an address must be a string, got ${address === null ? 'null' : typeof address}`)
  const str = address.trim()
  if (str.length === 0) throw new AddressError('empty', 'the address is empty')
  if (str.length > MAX_LENGTH) throw new AddressError('too-long', `the address is ${str.length} characters, longer than any valid address`)
  const lower = str.toLowerCase()
  if (str !== lower && str !== str.toUpperCase()) throw new AddressError('mixed-case', 'the address mixes upper and lower case; write it all in lower case')

  const sep = lower.lastIndexOf('1')
  if (sep <= 0) throw new AddressError('no-separator', `not an address: expected '${params.addressPrefix}1...'`)
  const prefix = lower.slice(0, sep)
  const data = lower.slice(sep + 1)
  for (const ch of data) {
    if (!CHARSET.includes(ch)) throw new AddressError('bad-character', `the address contains '${ch}', which never appears in an address (mistyped?)`)
  }

  // Checksum first: until it holds, the prefix itself may be a typo.
  const decoded = bech32m.decodeUnsafe(lower, MAX_LENGTH)
  if (decoded === undefined) {
    if (bech32.decodeUnsafe(lower, MAX_LENGTH) !== undefined) throw new AddressError('bad-checksum', 'the address has a bech32 checksum, not bech32m: it is not a minicoin address')
    throw new AddressError('bad-checksum', 'checksum mismatch — mistyped address?')
  }

  if (prefix !== params.addressPrefix) {
    const other = networkOfPrefix(prefix)
    if (other !== undefined) throw new AddressError('wrong-network', `address is for network '${other.id}' (prefix ${prefix}), this node runs '${params.id}'`)
    throw new AddressError('unknown-prefix', `unknown address prefix '${prefix}': addresses on '${params.id}' start with '${params.addressPrefix}1'`)
  }

  const hash = bech32m.fromWordsUnsafe(decoded.words)
  if (hash === undefined) throw new AddressError('bad-length', `the address payload is not a whole number of bytes; expected a ${ADDRESS_BYTES}-byte hash`)
  if (hash.length !== ADDRESS_BYTES) throw new AddressError('bad-length', `the address carries a ${hash.length}-byte payload, expected a ${ADDRESS_BYTES}-byte hash`)
  return hash
}

/** True when `address` decodes on this network. */
export function isValidAddress (address: unknown, params: NetworkParams): boolean {
  try {
    decodeAddress(address, params)
    return true
  } catch (err) {
    if (err instanceof AddressError) return false
    throw err
  }
}
