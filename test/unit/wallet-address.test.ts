import { describe, expect, it } from 'vitest'
import { bech32, bech32m } from '@scure/base'
import { devnet, regtest, testnet } from '../../src/core/params.js'
import { hash160 } from '../../src/core/hash.js'
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/keys.js'
import { AddressError, addressOfPublicKey, decodeAddress, encodeAddress, isValidAddress } from '../../src/wallet/address.js'

const hash = Uint8Array.from({ length: 20 }, (_, i) => i * 7 + 1)
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'

function codeOf (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(AddressError)
    return (err as AddressError).code
  }
  throw new Error('expected an AddressError')
}

describe('addresses', () => {
  it('round-trips on every network with its prefix', () => {
    for (const params of [devnet, testnet, regtest]) {
      const address = encodeAddress(hash, params)
      expect(address.startsWith(params.addressPrefix + '1')).toBe(true)
      expect(address.length).toBe(params.addressPrefix.length + 1 + 32 + 6)
      expect(decodeAddress(address, params)).toEqual(hash)
      expect(isValidAddress(address, params)).toBe(true)
    }
  })

  it('is the bech32m encoding of the hash160 of the public key', () => {
    const pub = publicKeyOf(generatePrivateKey())
    const address = addressOfPublicKey(pub, devnet)
    expect(address).toBe(bech32m.encode('mc', bech32m.toWords(hash160(pub))))
    expect(decodeAddress(address, devnet)).toEqual(hash160(pub))
  })

  it('accepts all upper case and surrounding whitespace, rejects mixed case', () => {
    const address = encodeAddress(hash, devnet)
    expect(decodeAddress(address.toUpperCase(), devnet)).toEqual(hash)
    expect(decodeAddress(`  ${address}\n`, devnet)).toEqual(hash)
    const mixed = address.slice(0, 5) + address.slice(5, 6).toUpperCase() + address.slice(6)
    expect(codeOf(() => decodeAddress(mixed, devnet))).toBe('mixed-case')
  })

  it('rejects non-strings and empty strings', () => {
    for (const v of [42, null, undefined, {}, hash]) expect(codeOf(() => decodeAddress(v, devnet))).toBe('not-a-string')
    expect(codeOf(() => decodeAddress('', devnet))).toBe('empty')
    expect(codeOf(() => decodeAddress('   ', devnet))).toBe('empty')
    expect(isValidAddress(42, devnet)).toBe(false)
  })

  it('catches every single-character typo as a checksum mismatch', () => {
    const address = encodeAddress(hash, devnet)
    for (let i = 3; i < address.length; i++) {
      const replacement = CHARSET[(CHARSET.indexOf(address[i]) + 1) % 32]
      const typo = address.slice(0, i) + replacement + address.slice(i + 1)
      expect(() => decodeAddress(typo, devnet)).toThrow('checksum mismatch — mistyped address?')
      expect(codeOf(() => decodeAddress(typo, devnet))).toBe('bad-checksum')
    }
    // Swapping two adjacent different characters.
    const i = [...address].findIndex((c, j) => j > 3 && c !== address[j + 1])
    const swapped = address.slice(0, i) + address[i + 1] + address[i] + address.slice(i + 2)
    expect(codeOf(() => decodeAddress(swapped, devnet))).toBe('bad-checksum')
  })

  it('a mistyped prefix is a checksum mismatch, not another network', () => {
    const address = encodeAddress(hash, devnet)
    expect(codeOf(() => decodeAddress('tmc' + address.slice(2), devnet))).toBe('bad-checksum')
  })

  it('rejects characters outside the bech32 alphabet, naming them', () => {
    const address = encodeAddress(hash, devnet)
    const bad = address.slice(0, 10) + 'b' + address.slice(11)
    expect(codeOf(() => decodeAddress(bad, devnet))).toBe('bad-character')
    expect(() => decodeAddress(bad, devnet)).toThrow("'b'")
  })

  it('names the network an address belongs to', () => {
    expect(() => decodeAddress(encodeAddress(hash, testnet), devnet))
      .toThrow("address is for network 'testnet' (prefix tmc), this node runs 'devnet'")
    expect(codeOf(() => decodeAddress(encodeAddress(hash, regtest), devnet))).toBe('wrong-network')
    expect(() => decodeAddress(encodeAddress(hash, devnet), regtest))
      .toThrow("address is for network 'devnet' (prefix mc), this node runs 'regtest'")
  })

  it('rejects unknown prefixes', () => {
    const foreign = bech32m.encode('bc', bech32m.toWords(hash))
    expect(codeOf(() => decodeAddress(foreign, devnet))).toBe('unknown-prefix')
  })

  it('rejects a payload that is not 20 bytes', () => {
    expect(codeOf(() => decodeAddress(bech32m.encode('mc', bech32m.toWords(new Uint8Array(32))), devnet))).toBe('bad-length')
    expect(codeOf(() => decodeAddress(bech32m.encode('mc', bech32m.toWords(new Uint8Array(19))), devnet))).toBe('bad-length')
    // 33 words: 5 padding bits, more than bech32 allows.
    expect(codeOf(() => decodeAddress(bech32m.encode('mc', [...bech32m.toWords(hash), 0]), devnet))).toBe('bad-length')
    expect(() => encodeAddress(new Uint8Array(21), devnet)).toThrow(AddressError)
  })

  it('rejects bech32 (not bech32m) checksums with their own message', () => {
    const legacy = bech32.encode('mc', bech32.toWords(hash))
    expect(codeOf(() => decodeAddress(legacy, devnet))).toBe('bad-checksum')
    expect(() => decodeAddress(legacy, devnet)).toThrow('bech32m')
  })

  it('rejects strings without a separator and overlong strings', () => {
    expect(codeOf(() => decodeAddress('mcqpzry9x8', devnet))).toBe('no-separator')
    expect(codeOf(() => decodeAddress('1qpzry9x8gf2', devnet))).toBe('no-separator')
    expect(codeOf(() => decodeAddress('mc1' + 'q'.repeat(100), devnet))).toBe('too-long')
  })
})
