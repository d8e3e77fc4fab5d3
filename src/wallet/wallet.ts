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
import { equalBytes, toHex } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import { isValidPrivateKey, publicKeyOf } from '../crypto/keys.js'
import { addressHashOfPublicKey, encodeAddress } from './address.js'
import { EXTERNAL_CHAIN, HdKeychain, INTERNAL_CHAIN, generateMnemonic, validateMnemonic, type HdChain } from './mnemonic.js'
import {
  KeystoreError, createKeystore, decryptKeystore, sealKeystore,
  type KeystoreKey, type KeystoreProtection, type WalletSecret
} from './keystore.js'
import { keystorePermissionWarning, loadKeystore, saveKeystore } from './keystore-file.js'

export interface WalletAddress {
  /** bech32m string on the wallet's network. */
  address: string
  /** 20-byte hash160 of the public key: what outputs pay to. */
  hash: Uint8Array
  /** 'hd': a receiving address (external chain); 'change': internal chain. */
  source: 'hd' | 'change' | 'imported'
  /** HD index on its chain, for sources 'hd' and 'change'. */
  index?: number
}

/** BIP44's gap limit: unused addresses watched past the last one handed out, on each chain. */
export const GAP_LIMIT = 20

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
  /** HD receiving addresses to recreate (indices 0..addresses-1); at least 1. */
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
  /** Receiving (HD external, then imported) addresses: what addresses() lists. */
  private readonly entries: Entry[] = []
  /** Change addresses handed out, in index order. */
  private readonly changeEntries: Entry[] = []
  private readonly byHash = new Map<string, Entry>()
  /** The next GAP_LIMIT addresses of each HD chain, not handed out yet. */
  private readonly lookahead = new Map<string, Entry>()
  // Mutations run one at a time so concurrent newAddress() calls cannot hand out one index twice.
  private pending: Promise<unknown> = Promise.resolve()

  private constructor (path: string, params: NetworkParams, secret: WalletSecret, key: KeystoreKey | null) {
    this.path = path
    this.params = params
    this.secret = secret
    this.key = key
    this.keychain = secret.hd === null ? null : new HdKeychain(secret.hd.mnemonic)
    for (let i = 0; i < (secret.hd?.nextIndex ?? 0); i++) this.addHd(i, EXTERNAL_CHAIN)
    for (let i = 0; i < (secret.hd?.nextChangeIndex ?? 0); i++) this.addHd(i, INTERNAL_CHAIN)
    for (const k of secret.imported) this.addImported(k)
    this.refillLookahead()
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
    return this.entries.map(e => copyOf(e.info))
  }

  addressStrings (): string[] {
    return this.entries.map(e => e.info.address)
  }

  /** Change addresses handed out so far, in index order. */
  changeAddresses (): WalletAddress[] {
    return this.changeEntries.map(e => copyOf(e.info))
  }

  /** Every address handed out: receiving, imported and change. */
  addressHashes (): Uint8Array[] {
    return [...this.entries, ...this.changeEntries].map(e => e.info.hash.slice())
  }

  /** addressHashes() plus the gap-limit window of each chain: every address a payment to us may use. */
  watchedHashes (): Uint8Array[] {
    return [...this.addressHashes(), ...[...this.lookahead.values()].map(e => e.info.hash.slice())]
  }

  /** Whether an output to this address is ours (handed out or in the gap-limit window). */
  isWatched (addressHash: Uint8Array): boolean {
    const hex = toHex(addressHash)
    return this.byHash.has(hex) || this.lookahead.has(hex)
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

  /** The key of any watched address (a coin found in the gap-limit window is spendable at once). */
  privateKeyFor (addressHash: Uint8Array): Uint8Array | undefined {
    const hex = toHex(addressHash)
    return (this.byHash.get(hex) ?? this.lookahead.get(hex))?.privateKey.slice()
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
      const entry = this.addHd(hd.nextIndex, EXTERNAL_CHAIN)
      this.refillLookahead()
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
    return copyOf((this.byHash.get(toHex(hash)) ?? this.lookahead.get(toHex(hash)) as Entry).info)
  }

  /** Records an address as handed out (persisted first). No-op for one already handed out. */
  async markUsed (addressHash: Uint8Array): Promise<boolean> {
    return await this.mutate(async () => {
      const entry = this.lookahead.get(toHex(addressHash))
      const hd = this.secret.hd
      if (entry === undefined || hd === null || entry.info.index === undefined) return false
      const chain: HdChain = entry.info.source === 'change' ? INTERNAL_CHAIN : EXTERNAL_CHAIN
      const from = chain === INTERNAL_CHAIN ? hd.nextChangeIndex : hd.nextIndex
      const to = entry.info.index + 1
      await this.persist({ ...this.secret, hd: chain === INTERNAL_CHAIN ? { ...hd, nextChangeIndex: to } : { ...hd, nextIndex: to } })
      for (let i = from; i < to; i++) this.addHd(i, chain)
      this.refillLookahead()
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

  private addHd (index: number, chain: HdChain): Entry {
    if (this.keychain === null) throw new WalletError('no-mnemonic', 'no recovery phrase')
    const privateKey = this.lookaheadKey(index, chain) ?? this.keychain.privateKey(index, chain)
    return this.add(privateKey, chain === INTERNAL_CHAIN ? 'change' : 'hd', index)
  }

  // Derivation costs ~1 ms a key: reuse the window's key when it is there.
  private lookaheadKey (index: number, chain: HdChain): Uint8Array | undefined {
    const source = chain === INTERNAL_CHAIN ? 'change' : 'hd'
    for (const [hex, e] of this.lookahead) {
      if (e.info.source === source && e.info.index === index) { this.lookahead.delete(hex); return e.privateKey }
    }
    return undefined
  }

  private addImported (privateKey: Uint8Array): Entry {
    return this.add(privateKey, 'imported')
  }

  private entryOf (privateKey: Uint8Array, source: WalletAddress['source'], index?: number): Entry {
    const hash = addressHashOfPublicKey(publicKeyOf(privateKey))
    const info: WalletAddress = { address: encodeAddress(hash, this.params), hash, source, ...(index === undefined ? {} : { index }) }
    return { info, privateKey }
  }

  private add (privateKey: Uint8Array, source: WalletAddress['source'], index?: number): Entry {
    const entry = this.entryOf(privateKey, source, index)
    const hex = toHex(entry.info.hash)
    const existing = this.byHash.get(hex)
    // An imported key that is also an HD key (a file edited by hand) keeps one entry.
    if (existing !== undefined && equalBytes(existing.privateKey, privateKey)) return existing
    this.lookahead.delete(hex)
    if (source === 'change') this.changeEntries.push(entry)
    else this.entries.push(entry)
    this.byHash.set(hex, entry)
    return entry
  }

  /** Derives the gap-limit window of each chain past what was handed out. */
  private refillLookahead (): void {
    const hd = this.secret.hd
    if (hd === null || this.keychain === null) return
    for (const [chain, next] of [[EXTERNAL_CHAIN, hd.nextIndex], [INTERNAL_CHAIN, hd.nextChangeIndex]] as Array<[HdChain, number]>) {
      const source = chain === INTERNAL_CHAIN ? 'change' : 'hd'
      const have = new Set([...this.lookahead.values()].filter(e => e.info.source === source).map(e => e.info.index))
      for (const [hex, e] of this.lookahead) if (e.info.source === source && (e.info.index as number) < next) this.lookahead.delete(hex)
      for (let i = next; i < next + GAP_LIMIT && i < 2 ** 31; i++) {
        if (have.has(i)) continue
        const entry = this.entryOf(this.keychain.privateKey(i, chain), source, i)
        const hex = toHex(entry.info.hash)
        if (!this.byHash.has(hex)) this.lookahead.set(hex, entry)
      }
    }
  }
}
