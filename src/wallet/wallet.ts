// A wallet: the keys behind a keystore file, and their addresses on one
// network. HD addresses come from the recovery phrase: receiving addresses
// on m/44'/7777'/0'/0/i, change addresses on m/44'/7777'/0'/1/i (BIP44's
// internal chain, so change never reuses an address); imported keys sit
// beside them. Every change (a new address, an import, a new password) is
// written to the keystore before it shows in memory, so what the wallet
// hands out is always recoverable from the file.
//
// Beyond what it has handed out, the wallet watches the next GAP_LIMIT
// addresses of each chain (BIP44's gap limit): a wallet restored from its
// phrase, whose file does not know how far the old one got, still finds
// payments to them; markUsed() then records the address as handed out and
// the window moves on.
import { toHex } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import { isValidPrivateKey, publicKeyOf } from '../crypto/keys.js'
import { addressHashOfPublicKey } from './address.js'
import { EXTERNAL_CHAIN, HdKeychain, INTERNAL_CHAIN, generateMnemonic, validateMnemonic, type HdChain } from './mnemonic.js'
import {
  KeystoreError, createKeystore, decryptKeystore, sealKeystore,
  type KeystoreKey, type KeystoreProtection, type WalletSecret
} from './keystore.js'
import { keystorePermissionWarning, loadKeystore, saveKeystore } from './keystore-file.js'
import { WalletKeys, type WalletKeyEntry } from './wallet-keys.js'
import { WalletError, type KeyLookup, type WalletAddress } from './wallet-types.js'

export { GAP_LIMIT, WalletError, type KeyLookup, type WalletAddress, type WalletErrorCode } from './wallet-types.js'

export interface WalletCreateOptions {
  params: NetworkParams
  protection: KeystoreProtection
}

export interface WalletRestoreOptions extends WalletCreateOptions {
  /** HD receiving addresses to recreate (indices 0..addresses-1); at least 1. */
  addresses?: number
}

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
  /** Every address and key: handed out, imported, and the gap-limit window. */
  private readonly keys: WalletKeys
  // Mutations run one at a time so concurrent newAddress() calls cannot hand out one index twice.
  private pending: Promise<unknown> = Promise.resolve()

  private constructor (path: string, params: NetworkParams, secret: WalletSecret, key: KeystoreKey | null) {
    this.path = path
    this.params = params
    this.secret = secret
    this.key = key
    this.keychain = secret.hd === null ? null : new HdKeychain(secret.hd.mnemonic)
    this.keys = new WalletKeys(params, this.keychain)
    for (let i = 0; i < (secret.hd?.nextIndex ?? 0); i++) this.keys.addHd(i, EXTERNAL_CHAIN)
    for (let i = 0; i < (secret.hd?.nextChangeIndex ?? 0); i++) this.keys.addHd(i, INTERNAL_CHAIN)
    for (const k of secret.imported) this.keys.addImported(k)
    this.keys.refillLookahead(secret.hd)
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
    const secret: WalletSecret = { hd: { mnemonic: phrase, nextIndex: count, nextChangeIndex: 0 }, imported: [] }
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

  /** Receiving addresses: HD ones in index order, then imported ones in import order (no change addresses). */
  addresses (): WalletAddress[] {
    return this.keys.entries.map(e => copyOf(e.info))
  }

  addressStrings (): string[] {
    return this.keys.entries.map(e => e.info.address)
  }

  /** Change addresses handed out so far, in index order. */
  changeAddresses (): WalletAddress[] {
    return this.keys.changeEntries.map(e => copyOf(e.info))
  }

  /** Every address handed out: receiving, imported and change. */
  addressHashes (): Uint8Array[] {
    return [...this.keys.entries, ...this.keys.changeEntries].map(e => e.info.hash.slice())
  }

  /** addressHashes() plus the gap-limit window of each chain: every address a payment to us may use. */
  watchedHashes (): Uint8Array[] {
    return [...this.addressHashes(), ...[...this.keys.lookahead.values()].map(e => e.info.hash.slice())]
  }

  /** Whether an output to this address is ours (handed out or in the gap-limit window). */
  isWatched (addressHash: Uint8Array): boolean {
    if (!this.keys.mayHold(addressHash)) return false
    const hex = toHex(addressHash)
    return this.keys.byHash.has(hex) || this.keys.lookahead.has(hex)
  }

  /** The first address: a stable place for mining rewards and change. */
  primaryAddress (): WalletAddress {
    const first = this.keys.entries[0]
    if (first === undefined) throw new WalletError('no-addresses', 'the wallet holds no keys')
    return copyOf(first.info)
  }

  hasAddress (addressHash: Uint8Array): boolean {
    return this.keys.byHash.has(toHex(addressHash))
  }

  /** The key of any watched address (a coin found in the gap-limit window is spendable at once). */
  privateKeyFor (addressHash: Uint8Array): Uint8Array | undefined {
    const hex = toHex(addressHash)
    return (this.keys.byHash.get(hex) ?? this.keys.lookahead.get(hex))?.privateKey.slice()
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
      const entry = this.keys.addHd(hd.nextIndex, EXTERNAL_CHAIN)
      this.keys.refillLookahead(this.secret.hd)
      return copyOf(entry.info)
    })
  }

  /**
   * The change address the next payment should use: the first unused one of
   * the internal chain. It is not recorded as used until commitChangeAddress()
   * (call that before publishing), so a payment that fails to build leaves no
   * gap. A wallet without a phrase (imported keys only) uses its primary address.
   */
  peekChangeAddress (): WalletAddress {
    const hd = this.secret.hd
    if (hd === null || this.keychain === null) return this.primaryAddress()
    const hash = addressHashOfPublicKey(publicKeyOf(this.keychain.privateKey(hd.nextChangeIndex, INTERNAL_CHAIN)))
    return copyOf((this.keys.byHash.get(toHex(hash)) ?? this.keys.lookahead.get(toHex(hash)) as WalletKeyEntry).info)
  }

  /** Records an address as handed out (persisted first). No-op for one already handed out. */
  async markUsed (addressHash: Uint8Array): Promise<boolean> {
    return await this.mutate(async () => {
      const entry = this.keys.lookahead.get(toHex(addressHash))
      const hd = this.secret.hd
      if (entry === undefined || hd === null || entry.info.index === undefined) return false
      const chain: HdChain = entry.info.source === 'change' ? INTERNAL_CHAIN : EXTERNAL_CHAIN
      const from = chain === INTERNAL_CHAIN ? hd.nextChangeIndex : hd.nextIndex
      const to = entry.info.index + 1
      await this.persist({ ...this.secret, hd: chain === INTERNAL_CHAIN ? { ...hd, nextChangeIndex: to } : { ...hd, nextIndex: to } })
      for (let i = from; i < to; i++) this.keys.addHd(i, chain)
      this.keys.refillLookahead(this.secret.hd)
      return true
    })
  }

  /** See peekChangeAddress(). */
  async commitChangeAddress (addressHash: Uint8Array): Promise<void> {
    await this.markUsed(addressHash)
  }

  /** Adds a raw private key; importing a key already held returns its address unchanged. */
  async importPrivateKey (privateKey: Uint8Array): Promise<WalletAddress> {
    if (!(privateKey instanceof Uint8Array) || !isValidPrivateKey(privateKey)) throw new WalletError('bad-private-key', 'not a valid 32-byte secp256k1 private key')
    return await this.mutate(async () => {
      const existing = this.keys.byHash.get(toHex(addressHashOfPublicKey(publicKeyOf(privateKey))))
      if (existing !== undefined) return copyOf(existing.info)
      const key = privateKey.slice()
      await this.persist({ ...this.secret, imported: [...this.secret.imported, key] })
      return copyOf(this.keys.addImported(key).info)
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
}
