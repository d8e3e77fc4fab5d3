// BIP39 recovery phrases and BIP32 key derivation.
//
// Keys live at m/44'/7777'/0'/c/i (BIP44: purpose 44', coin type, account 0',
// chain c, address index i): chain 0 (external) for receiving addresses,
// chain 1 (internal) for change, so change never reuses an address. Coin type 7777 is not registered in
// SLIP-44; it is minicoin's own, chosen so a phrase that also backs a
// Bitcoin wallet never derives the same keys for minicoin. Every network
// (devnet, testnet, regtest) uses the same path: a network is told apart by
// its address prefix, not by its keys.
import { createHmac, pbkdf2Sync } from 'node:crypto'
import * as bip39 from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { HDKey } from '@scure/bip32'
import { nativeKeyOps, type NativeKeyOps } from '../crypto/native-keys.js'

export const COIN_TYPE = 7777
export const ACCOUNT_PATH = `m/44'/${COIN_TYPE}'/0'`
/** BIP44 chains: external (receiving) and internal (change). */
export const EXTERNAL_CHAIN = 0
export const INTERNAL_CHAIN = 1
export type HdChain = typeof EXTERNAL_CHAIN | typeof INTERNAL_CHAIN
export const MNEMONIC_WORDS = 24
// BIP39 phrase lengths we accept when restoring (we generate 24).
const VALID_LENGTHS = [12, 15, 18, 21, 24]

export type MnemonicErrorCode = 'not-a-string' | 'bad-length' | 'bad-word' | 'bad-checksum'

export class MnemonicError extends Error {
  readonly code: MnemonicErrorCode

  constructor (code: MnemonicErrorCode, message: string) {
    super(message)
    this.name = 'MnemonicError'
    this.code = code
  }
}

/** A fresh 24-word phrase (256 bits of entropy). */
export function generateMnemonic (): string {
  return bip39.generateMnemonic(wordlist, 256)
}

/** Lower case, single spaces, no surrounding whitespace: how people retype a phrase. */
export function normalizeMnemonic (mnemonic: string): string {
  return mnemonic.normalize('NFKD').trim().toLowerCase().split(/\s+/).join(' ')
}

const WORDS = new Set(wordlist)

// BIP39 english words are unique in their first four letters, so a prefix
// match is a good guess at what a misspelled word was meant to be.
function suggestion (word: string): string {
  if (word.length < 3) return ''
  const guess = wordlist.find(w => w.startsWith(word.slice(0, 4)))
  return guess === undefined ? '' : ` (did you mean '${guess}'?)`
}

/** Throws a MnemonicError saying what is wrong; returns the normalized phrase. */
export function validateMnemonic (mnemonic: unknown): string {
  if (typeof mnemonic !== 'string') throw new MnemonicError('not-a-string', 'a recovery phrase must be a string')
  const normalized = normalizeMnemonic(mnemonic)
  const words = normalized === '' ? [] : normalized.split(' ')
  if (!VALID_LENGTHS.includes(words.length)) {
    throw new MnemonicError('bad-length', `a recovery phrase has ${MNEMONIC_WORDS} words (or 12, 15, 18, 21), got ${words.length}`)
  }
  words.forEach((word, i) => {
    if (!WORDS.has(word)) throw new MnemonicError('bad-word', `word ${i + 1} '${word}' is not in the BIP39 english word list${suggestion(word)}`)
  })
  if (!bip39.validateMnemonic(normalized, wordlist)) {
    throw new MnemonicError('bad-checksum', 'the recovery phrase checksum does not match: a word is wrong or out of order')
  }
  return normalized
}

export function isValidMnemonic (mnemonic: unknown): boolean {
  try {
    validateMnemonic(mnemonic)
    return true
  } catch (err) {
    if (err instanceof MnemonicError) return false
    throw err
  }
}

/**
 * The 64-byte BIP39 seed (no passphrase): PBKDF2-HMAC-SHA512 of the NFKD
 * phrase, salt "mnemonic", 2048 rounds. node:crypto's PBKDF2 rather than
 * scure's JS one (same result, tested against it): every node start opens
 * its wallet, and the JS rounds cost ~0.2 s of CPU there.
 */
export function mnemonicToSeed (mnemonic: string): Uint8Array {
  return new Uint8Array(pbkdf2Sync(validateMnemonic(mnemonic), 'mnemonic', 2048, 64, 'sha512'))
}

export function derivationPath (index: number, chain: HdChain = EXTERNAL_CHAIN): string {
  return `${ACCOUNT_PATH}/${chain}/${index}`
}

/**
 * Private keys along m/44'/7777'/0'/c/i for one phrase. The seed (PBKDF2,
 * 2048 rounds) and the two chain nodes are computed once. With libsecp256k1
 * (`native`, the default when it loads) the BIP32 steps run on it and
 * node:crypto's HMAC; otherwise on @scure/bip32. Same keys either way (tested).
 */
export class HdKeychain {
  private readonly chains: [ChainNode, ChainNode]

  constructor (mnemonic: string, native: NativeKeyOps | null = nativeKeyOps()) {
    const seed = mnemonicToSeed(mnemonic)
    if (native === null) {
      const account = HDKey.fromMasterSeed(seed).derive(ACCOUNT_PATH)
      this.chains = [EXTERNAL_CHAIN, INTERNAL_CHAIN].map(c => scureChain(account.deriveChild(c))) as [ChainNode, ChainNode]
    } else {
      let account = nativeMaster(seed)
      for (const index of [44, COIN_TYPE, 0]) account = nativeChild(native, account, index + HARDENED)
      this.chains = [EXTERNAL_CHAIN, INTERNAL_CHAIN].map(c => {
        const node = nativeChild(native, account, c)
        return (index: number) => nativeChild(native, node, index).key
      }) as [ChainNode, ChainNode]
    }
  }

  /**
   * BIP32 says to skip an index whose key is invalid; the odds are below
   * 2^-127, so the throw there is left to surface as a bug report.
   */
  privateKey (index: number, chain: HdChain = EXTERNAL_CHAIN): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= 2 ** 31) throw new RangeError(`address index must be an integer in [0, 2^31), got ${index}`)
    return this.chains[chain](index)
  }
}

/** The private key of child `index` of one chain node. */
type ChainNode = (index: number) => Uint8Array

const HARDENED = 2 ** 31

function scureChain (node: HDKey): ChainNode {
  return index => {
    const key = node.deriveChild(index).privateKey
    if (key === null) throw new Error('derived node has no private key')
    return key
  }
}

interface NativeNode { key: Uint8Array, chainCode: Uint8Array }

function hmacSha512 (key: Uint8Array | string, data: Uint8Array): { left: Uint8Array, right: Uint8Array } {
  const out = new Uint8Array(createHmac('sha512', key).update(data).digest())
  return { left: out.slice(0, 32), right: out.slice(32) }
}

/** BIP32 master node; its key is checked by the first child step (tweak-add of a valid key). */
function nativeMaster (seed: Uint8Array): NativeNode {
  const { left, right } = hmacSha512('Bitcoin seed', seed)
  return { key: left, chainCode: right }
}

/** BIP32 CKDpriv: k_i = IL + k (mod n), c_i = IR; libsecp256k1 throws for IL >= n or k_i = 0. */
function nativeChild (native: NativeKeyOps, parent: NativeNode, index: number): NativeNode {
  const data = new Uint8Array(37)
  if (index >= HARDENED) data.set(parent.key, 1)
  else data.set(native.publicKeyCreate(parent.key, true), 0)
  new DataView(data.buffer).setUint32(33, index)
  const { left, right } = hmacSha512(parent.chainCode, data)
  const key = parent.key.slice()
  native.privateKeyTweakAdd(key, left)
  return { key, chainCode: right }
}
