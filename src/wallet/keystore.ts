// The wallet file: a versioned JSON document holding the wallet secret.
//
// Encrypted mode: scrypt(password, salt) gives 64 bytes; the first 32 are the
// AES-256-GCM key, the last 32 are hashed into `passwordCheck`. The check
// tells a wrong password ('wrong-password') apart from a file whose
// ciphertext, nonce or header was altered ('tampered': GCM authentication
// fails although the password was right). Guessing passwords against the
// check costs one scrypt per guess, exactly as against the GCM tag, so it
// gives an attacker nothing. The header (format, version, KDF parameters) is
// GCM associated data. Altered KDF parameters or salt derive another key and
// therefore read as a wrong password: nothing else can be told without the
// original parameters.
//
// Unencrypted mode ("encryption": "none") exists for a node daemon that must
// open its wallet at start-up without anyone to type a password. The secret
// is then stored in clear and protected ONLY by the file's permissions
// (0600, owner only) and by whoever can read the data directory or its
// backups. Use it for hot wallets holding small amounts; the config decides.
//
// Reading and writing the file: keystore-file.ts.
import { randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto'
import { sha256 } from '../core/hash.js'
import { equalBytes, fromHex, toHex } from '../core/bytes.js'
import { isValidPrivateKey } from '../crypto/keys.js'
import { gcmOpen, gcmSeal } from './aes-gcm.js'
import { MnemonicError, validateMnemonic } from './mnemonic.js'

export const KEYSTORE_FORMAT = 'minicoin-keystore'
export const KEYSTORE_VERSION = 1

/** What the wallet keeps secret: an HD phrase and/or imported raw keys. */
export interface WalletSecret {
  /**
   * BIP39 phrase; receiving addresses 0 .. nextIndex-1 and change addresses
   * 0 .. nextChangeIndex-1 have been handed out.
   */
  hd: { mnemonic: string, nextIndex: number, nextChangeIndex: number } | null
  /** 32-byte private keys imported from elsewhere. */
  imported: Uint8Array[]
}

export interface ScryptParams { N: number, r: number, p: number }

/** 2^15 costs ~70 ms and 32 MiB here: slow for guessing, quick for a person. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 }

interface KdfJson extends ScryptParams { name: 'scrypt', salt: string }
// nextChangeIndex is absent from files written before change addresses existed (read as 0).
interface SecretJson { hd: { mnemonic: string, nextIndex: number, nextChangeIndex?: number } | null, imported: string[] }

export interface EncryptedKeystoreFile {
  format: typeof KEYSTORE_FORMAT
  version: typeof KEYSTORE_VERSION
  encryption: 'scrypt-aes-256-gcm'
  kdf: KdfJson
  cipher: { name: 'aes-256-gcm', nonce: string }
  passwordCheck: string
  ciphertext: string
}

export interface PlainKeystoreFile {
  format: typeof KEYSTORE_FORMAT
  version: typeof KEYSTORE_VERSION
  encryption: 'none'
  secret: SecretJson
}

export type KeystoreFile = EncryptedKeystoreFile | PlainKeystoreFile

/** A password turned into key material, kept by an unlocked wallet so saving needs no new scrypt run. */
export interface KeystoreKey {
  readonly kdf: KdfJson
  readonly encryptionKey: Uint8Array
  readonly passwordCheck: Uint8Array
}

export type KeystoreProtection =
  | { password: string, scrypt?: ScryptParams }
  | { unencrypted: true }

export type KeystoreErrorCode =
  | 'not-found'
  | 'exists'
  | 'io'
  | 'corrupt'
  | 'unsupported-version'
  | 'password-required'
  | 'empty-password'
  | 'bad-kdf-params'
  | 'wrong-password'
  | 'tampered'

export class KeystoreError extends Error {
  readonly code: KeystoreErrorCode

  constructor (code: KeystoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'KeystoreError'
    this.code = code
  }
}

// ---- key derivation --------------------------------------------------------

const SALT_BYTES = 32
const NONCE_BYTES = 12
const KEY_BYTES = 32
// A hostile or corrupted file must not make us allocate gigabytes.
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024

function checkScryptParams (s: ScryptParams): void {
  const { N, r, p } = s
  const ok = Number.isSafeInteger(N) && N >= 2 && (N & (N - 1)) === 0 &&
    Number.isSafeInteger(r) && r >= 1 && r <= 32 &&
    Number.isSafeInteger(p) && p >= 1 && p <= 16 &&
    128 * N * r <= MAX_SCRYPT_MEMORY
  if (!ok) throw new KeystoreError('bad-kdf-params', `scrypt parameters N=${N} r=${r} p=${p} are out of range (N a power of 2, r 1..32, p 1..16, at most ${MAX_SCRYPT_MEMORY >> 20} MiB)`)
}

function scrypt (password: Uint8Array, salt: Uint8Array, s: ScryptParams): Promise<Uint8Array> {
  const options: ScryptOptions = { N: s.N, r: s.r, p: s.p, maxmem: 2 * MAX_SCRYPT_MEMORY }
  return new Promise((resolve, reject) => {
    // node:crypto's scrypt runs on the libuv pool: a daemon's event loop keeps going.
    scryptCb(password, salt, 2 * KEY_BYTES, options, (err, key) => {
      if (err !== null) reject(err)
      else resolve(new Uint8Array(key))
    })
  })
}

// NFC so the same password typed on different systems gives the same bytes.
function passwordBytes (password: string): Uint8Array {
  if (typeof password !== 'string' || password.length === 0) throw new KeystoreError('empty-password', 'the password is empty; use the unencrypted mode explicitly if the wallet needs no password')
  return new TextEncoder().encode(password.normalize('NFC'))
}

export async function deriveKeystoreKey (password: string, kdf: KdfJson): Promise<KeystoreKey> {
  checkScryptParams(kdf)
  const derived = await scrypt(passwordBytes(password), fromHex(kdf.salt), kdf)
  const key = {
    kdf: { ...kdf },
    encryptionKey: derived.slice(0, KEY_BYTES),
    passwordCheck: sha256(derived.subarray(KEY_BYTES))
  }
  derived.fill(0)
  return key
}

/** Key material for a new keystore: fresh random salt. */
export async function newKeystoreKey (password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<KeystoreKey> {
  const kdf: KdfJson = { name: 'scrypt', N: params.N, r: params.r, p: params.p, salt: toHex(randomBytes(SALT_BYTES)) }
  return await deriveKeystoreKey(password, kdf)
}

// ---- sealing and opening ---------------------------------------------------

function secretToJson (secret: WalletSecret): SecretJson {
  return {
    hd: secret.hd === null ? null : { mnemonic: secret.hd.mnemonic, nextIndex: secret.hd.nextIndex, nextChangeIndex: secret.hd.nextChangeIndex },
    imported: secret.imported.map(toHex)
  }
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

const HEX = /^(?:[0-9a-f]{2})*$/

function hexField (v: unknown, bytes: number, what: string): string {
  if (typeof v !== 'string' || !HEX.test(v) || v.length !== bytes * 2) throw corrupt(`${what} must be ${bytes} bytes of lower-case hex`)
  return v
}

export function corrupt (detail: string): KeystoreError {
  return new KeystoreError('corrupt', `the keystore file is corrupt: ${detail}`)
}

function secretFromJson (v: unknown): WalletSecret {
  if (!isRecord(v)) throw corrupt('the secret is not an object')
  let hd: WalletSecret['hd'] = null
  if (v.hd !== null) {
    if (!isRecord(v.hd)) throw corrupt('"hd" must be an object or null')
    const { mnemonic, nextIndex } = v.hd
    const nextChangeIndex = v.hd.nextChangeIndex ?? 0
    try {
      validateMnemonic(mnemonic)
    } catch (err) {
      if (err instanceof MnemonicError) throw corrupt(`the stored recovery phrase is invalid (${err.message})`)
      throw err
    }
    if (typeof nextIndex !== 'number' || !Number.isInteger(nextIndex) || nextIndex < 0 || nextIndex >= 2 ** 31) throw corrupt('"hd.nextIndex" must be an integer in [0, 2^31)')
    if (typeof nextChangeIndex !== 'number' || !Number.isInteger(nextChangeIndex) || nextChangeIndex < 0 || nextChangeIndex >= 2 ** 31) throw corrupt('"hd.nextChangeIndex" must be an integer in [0, 2^31)')
    hd = { mnemonic: mnemonic as string, nextIndex, nextChangeIndex }
  }
  if (!Array.isArray(v.imported)) throw corrupt('"imported" must be an array')
  const imported = v.imported.map((k, i) => {
    const key = fromHex(hexField(k, KEY_BYTES, `imported key ${i}`))
    if (!isValidPrivateKey(key)) throw corrupt(`imported key ${i} is not a valid secp256k1 private key`)
    return key
  })
  return { hd, imported }
}

// The header bound to the ciphertext: changing any of it fails authentication.
function associatedData (file: Pick<EncryptedKeystoreFile, 'format' | 'version' | 'encryption' | 'kdf'>): Uint8Array {
  const { kdf } = file
  return new TextEncoder().encode(JSON.stringify([file.format, file.version, file.encryption, kdf.name, kdf.N, kdf.r, kdf.p, kdf.salt]))
}

/** The file for a secret; `key` null writes it unencrypted. */
export function sealKeystore (secret: WalletSecret, key: KeystoreKey | null): KeystoreFile {
  const json = secretToJson(secret)
  if (key === null) return { format: KEYSTORE_FORMAT, version: KEYSTORE_VERSION, encryption: 'none', secret: json }
  const nonce = randomBytes(NONCE_BYTES)
  const header = { format: KEYSTORE_FORMAT, version: KEYSTORE_VERSION, encryption: 'scrypt-aes-256-gcm', kdf: { ...key.kdf } } as const
  const plaintext = new TextEncoder().encode(JSON.stringify(json))
  const ciphertext = gcmSeal(key.encryptionKey, nonce, associatedData(header), plaintext)
  plaintext.fill(0)
  return {
    ...header,
    cipher: { name: 'aes-256-gcm', nonce: toHex(nonce) },
    passwordCheck: toHex(key.passwordCheck),
    ciphertext: toHex(ciphertext)
  }
}

/** The secret of a parsed file, given the key derived from its KDF parameters (null for an unencrypted file). */
export function openKeystore (file: KeystoreFile, key: KeystoreKey | null): WalletSecret {
  if (file.encryption === 'none') return secretFromJson(file.secret)
  if (key === null) throw new KeystoreError('password-required', 'the keystore is encrypted: a password is required')
  if (!equalBytes(key.passwordCheck, fromHex(file.passwordCheck))) throw new KeystoreError('wrong-password', 'wrong password')
  let plaintext: Uint8Array
  try {
    plaintext = gcmOpen(key.encryptionKey, fromHex(file.cipher.nonce), associatedData(file), fromHex(file.ciphertext))
  } catch (err) {
    throw new KeystoreError('tampered', 'the password is right but the keystore does not authenticate: the file was altered or damaged', { cause: err })
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext))
  } catch {
    throw corrupt('the decrypted secret is not JSON')
  } finally {
    plaintext.fill(0)
  }
  return secretFromJson(parsed)
}

/** A new keystore for `secret`, and the key to re-seal it with later (null when unencrypted). */
export async function createKeystore (secret: WalletSecret, protection: KeystoreProtection): Promise<{ file: KeystoreFile, key: KeystoreKey | null }> {
  if ('unencrypted' in protection) return { file: sealKeystore(secret, null), key: null }
  if (protection.scrypt !== undefined) checkScryptParams(protection.scrypt)
  const key = await newKeystoreKey(protection.password, protection.scrypt)
  return { file: sealKeystore(secret, key), key }
}

/** Decrypts a parsed file. The key is returned so the caller can re-seal after changes. */
export async function decryptKeystore (file: KeystoreFile, password?: string): Promise<{ secret: WalletSecret, key: KeystoreKey | null }> {
  if (file.encryption === 'none') return { secret: openKeystore(file, null), key: null }
  if (password === undefined) throw new KeystoreError('password-required', 'the keystore is encrypted: a password is required')
  const key = await deriveKeystoreKey(password, file.kdf)
  return { secret: openKeystore(file, key), key }
}

// ---- text form -------------------------------------------------------------

/** Checks the structure of a keystore document (not its secret, which may be encrypted). */
export function parseKeystore (text: string): KeystoreFile {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw corrupt('not valid JSON')
  }
  if (!isRecord(v) || v.format !== KEYSTORE_FORMAT) throw corrupt(`not a ${KEYSTORE_FORMAT} document`)
  if (v.version !== KEYSTORE_VERSION) throw new KeystoreError('unsupported-version', `keystore version ${String(v.version)} is not supported (this software reads version ${KEYSTORE_VERSION})`)
  if (v.encryption === 'none') {
    // Validate now so a bad unencrypted file fails at load, like an encrypted one would at unlock.
    return { format: KEYSTORE_FORMAT, version: KEYSTORE_VERSION, encryption: 'none', secret: secretToJson(secretFromJson(v.secret)) }
  }
  if (v.encryption !== 'scrypt-aes-256-gcm') throw corrupt(`unknown encryption '${String(v.encryption)}'`)
  const { kdf, cipher } = v
  if (!isRecord(kdf) || kdf.name !== 'scrypt') throw corrupt('"kdf" must describe scrypt')
  const scryptParams = { N: kdf.N, r: kdf.r, p: kdf.p } as ScryptParams
  try {
    checkScryptParams(scryptParams)
  } catch (err) {
    throw corrupt((err as Error).message)
  }
  if (!isRecord(cipher) || cipher.name !== 'aes-256-gcm') throw corrupt('"cipher" must describe aes-256-gcm')
  const ciphertext = v.ciphertext
  if (typeof ciphertext !== 'string' || !HEX.test(ciphertext) || ciphertext.length < 2 * 16) throw corrupt('"ciphertext" must be hex, at least the 16-byte tag')
  return {
    format: KEYSTORE_FORMAT,
    version: KEYSTORE_VERSION,
    encryption: 'scrypt-aes-256-gcm',
    kdf: { name: 'scrypt', ...scryptParams, salt: hexField(kdf.salt, SALT_BYTES, 'kdf.salt') },
    cipher: { name: 'aes-256-gcm', nonce: hexField(cipher.nonce, NONCE_BYTES, 'cipher.nonce') },
    passwordCheck: hexField(v.passwordCheck, 32, 'passwordCheck'),
    ciphertext
  }
}

export function serializeKeystore (file: KeystoreFile): string {
  return JSON.stringify(file, null, 2) + '\n'
}
