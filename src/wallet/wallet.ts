// A wallet: the keys behind a keystore file, and their addresses on one
// network. HD addresses come from the recovery phrase (m/44'/7777'/0'/0/i);
// imported keys sit beside them. Every change (a new address, an import, a
// new password) is written to the keystore before it shows in memory, so
// what the wallet hands out is always recoverable from the file.
import { equalBytes, toHex } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import { isValidPrivateKey, publicKeyOf } from '../crypto/keys.js'
import { addressHashOfPublicKey, encodeAddress } from './address.js'
import { HdKeychain, generateMnemonic, validateMnemonic } from './mnemonic.js'
import {
  KeystoreError, createKeystore, decryptKeystore, keystorePermissionWarning, loadKeystore, saveKeystore, sealKeystore,
  type KeystoreKey, type KeystoreProtection, type WalletSecret
} from './keystore.js'

export interface WalletAddress {
  /** bech32m string on the wallet's network. */
  address: string
  /** 20-byte hash160 of the public key: what outputs pay to. */
  hash: Uint8Array
  source: 'hd' | 'imported'
  /** HD index, for source 'hd'. */
  index?: number
}

export type KeyLookup = (addressHash: Uint8Array) => Uint8Array | undefined

export type WalletErrorCode = 'no-mnemonic' | 'bad-private-key' | 'no-addresses'

export class WalletError extends Error {
  readonly code: WalletErrorCode

  constructor (code: WalletErrorCode, message: string) {
    super(message)
    this.name = 'WalletError'
    this.code = code
  }
}

export interface WalletCreateOptions {
  params: NetworkParams
  protection: KeystoreProtection
}

export interface WalletRestoreOptions extends WalletCreateOptions {
  /** HD addresses to recreate (indices 0..addresses-1); at least 1. */
  addresses?: number
}

interface Entry { info: WalletAddress, privateKey: Uint8Array }

// Callers get copies: a hash they modify must not rename a wallet address.
function copyOf (info: WalletAddress): WalletAddress {
  return { ...info, hash: info.hash.slice() }
}

export class Wallet {
  readonly path: string
  readonly params: NetworkParams
  private secret: WalletSecret
  private key: KeystoreKey | null
  private readonly keychain: HdKeychain | null
  private readonly entries: Entry[] = []
  private readonly byHash = new Map<string, Entry>()
  // Mutations run one at a time so concurrent newAddress() calls cannot hand out one index twice.
  private pending: Promise<unknown> = Promise.resolve()

  private constructor (path: string, params: NetworkParams, secret: WalletSecret, key: KeystoreKey | null) {
    this.path = path
    this.params = params
    this.secret = secret
    this.key = key
    this.keychain = secret.hd === null ? null : new HdKeychain(secret.hd.mnemonic)
    for (let i = 0; i < (secret.hd?.nextIndex ?? 0); i++) this.addHd(i)
    for (const k of secret.imported) this.addImported(k)
  }

  /** A new HD wallet with a fresh 24-word phrase and its first address. Refuses to overwrite an existing file. */
  static async create (path: string, options: WalletCreateOptions): Promise<Wallet> {
    return await Wallet.restore(path, generateMnemonic(), options)
  }

  /** A wallet from a recovery phrase: the same phrase always gives the same addresses. */
  static async restore (path: string, mnemonic: string, options: WalletRestoreOptions): Promise<Wallet> {
    const phrase = validateMnemonic(mnemonic)
    const count = options.addresses ?? 1
    if (!Number.isInteger(count) || count < 1 || count >= 2 ** 31) throw new RangeError(`addresses must be a positive integer, got ${count}`)
    const secret: WalletSecret = { hd: { mnemonic: phrase, nextIndex: count }, imported: [] }
    const { file, key } = await createKeystore(secret, options.protection)
    await saveKeystore(path, file, { overwrite: false })
    return new Wallet(path, options.params, secret, key)
  }

  /** Opens an existing keystore; `password` is needed when it is encrypted. */
  static async open (path: string, options: { params: NetworkParams, password?: string }): Promise<Wallet> {
    const file = await loadKeystore(path)
    const { secret, key } = await decryptKeystore(file, options.password)
    return new Wallet(path, options.params, secret, key)
  }

  /** For a daemon: opens the wallet at `path`, creating it on first start. */
  static async openOrCreate (path: string, options: WalletCreateOptions): Promise<{ wallet: Wallet, created: boolean }> {
    const password = 'password' in options.protection ? options.protection.password : undefined
    try {
      return { wallet: await Wallet.open(path, { params: options.params, password }), created: false }
    } catch (err) {
      if (!(err instanceof KeystoreError) || err.code !== 'not-found') throw err
    }
    return { wallet: await Wallet.create(path, options), created: true }
  }

  get encrypted (): boolean {
    return this.key !== null
  }

  get hasMnemonic (): boolean {
    return this.secret.hd !== null
  }

  /** Every address, HD ones in index order, then imported ones in import order. */
  addresses (): WalletAddress[] {
    return this.entries.map(e => copyOf(e.info))
  }

  addressStrings (): string[] {
    return this.entries.map(e => e.info.address)
  }

  addressHashes (): Uint8Array[] {
    return this.entries.map(e => e.info.hash.slice())
  }

  /** The first address: a stable place for mining rewards and change. */
  primaryAddress (): WalletAddress {
    const first = this.entries[0]
    if (first === undefined) throw new WalletError('no-addresses', 'the wallet holds no keys')
    return copyOf(first.info)
  }

  hasAddress (addressHash: Uint8Array): boolean {
    return this.byHash.has(toHex(addressHash))
  }

  privateKeyFor (addressHash: Uint8Array): Uint8Array | undefined {
    return this.byHash.get(toHex(addressHash))?.privateKey.slice()
  }

  /** `privateKeyFor` as a free function, for buildTransaction's `keys`. */
  readonly keyLookup: KeyLookup = (addressHash) => this.privateKeyFor(addressHash)

  /** The recovery phrase, for a backup. */
  exportMnemonic (): string {
    if (this.secret.hd === null) throw new WalletError('no-mnemonic', 'this wallet holds only imported keys; it has no recovery phrase')
    return this.secret.hd.mnemonic
  }

  /** Hands out the next HD address, persisted before it is returned. */
  async newAddress (): Promise<WalletAddress> {
    return await this.mutate(async () => {
      const hd = this.secret.hd
      if (hd === null) throw new WalletError('no-mnemonic', 'this wallet has no recovery phrase to derive new addresses from')
      await this.persist({ ...this.secret, hd: { ...hd, nextIndex: hd.nextIndex + 1 } })
      return copyOf(this.addHd(hd.nextIndex).info)
    })
  }

  /** Adds a raw private key; importing a key already held returns its address unchanged. */
  async importPrivateKey (privateKey: Uint8Array): Promise<WalletAddress> {
    if (!(privateKey instanceof Uint8Array) || !isValidPrivateKey(privateKey)) throw new WalletError('bad-private-key', 'not a valid 32-byte secp256k1 private key')
    return await this.mutate(async () => {
      const existing = this.byHash.get(toHex(addressHashOfPublicKey(publicKeyOf(privateKey))))
      if (existing !== undefined) return copyOf(existing.info)
      const key = privateKey.slice()
      await this.persist({ ...this.secret, imported: [...this.secret.imported, key] })
      return copyOf(this.addImported(key).info)
    })
  }

  /** Re-encrypts under a new password, or switches to or from the unencrypted mode. */
  async setProtection (protection: KeystoreProtection): Promise<void> {
    await this.mutate(async () => {
      const { file, key } = await createKeystore(this.secret, protection)
      await saveKeystore(this.path, file)
      this.key = key
    })
  }

  /** A warning when the keystore file can be read by others than its owner. */
  async permissionWarning (): Promise<string | null> {
    return await keystorePermissionWarning(this.path)
  }

  private async mutate<T> (change: () => Promise<T>): Promise<T> {
    const run = this.pending.then(change)
    this.pending = run.catch(() => {})
    return await run
  }

  private async persist (next: WalletSecret): Promise<void> {
    await saveKeystore(this.path, sealKeystore(next, this.key))
    this.secret = next
  }

  private addHd (index: number): Entry {
    if (this.keychain === null) throw new WalletError('no-mnemonic', 'no recovery phrase')
    return this.add(this.keychain.privateKey(index), 'hd', index)
  }

  private addImported (privateKey: Uint8Array): Entry {
    return this.add(privateKey, 'imported')
  }

  private add (privateKey: Uint8Array, source: 'hd' | 'imported', index?: number): Entry {
    const hash = addressHashOfPublicKey(publicKeyOf(privateKey))
    const hex = toHex(hash)
    const existing = this.byHash.get(hex)
    // An imported key that is also an HD key (a file edited by hand) keeps one entry.
    if (existing !== undefined && equalBytes(existing.privateKey, privateKey)) return existing
    const info: WalletAddress = { address: encodeAddress(hash, this.params), hash, source, ...(index === undefined ? {} : { index }) }
    const entry = { info, privateKey }
    this.entries.push(entry)
    this.byHash.set(hex, entry)
    return entry
  }
}
