// The wallet's addresses and their keys, in memory: receiving (HD external
// chain, then imported), change (HD internal chain) and the gap-limit window
// of each chain past what was handed out. Wallet decides what is handed out
// (and writes it to the keystore first); this only holds and derives.
import { equalBytes, toHex } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import { publicKeyOf } from '../crypto/keys.js'
import { addressHashOfPublicKey, encodeAddress } from './address.js'
import type { WalletSecret } from './keystore.js'
import { INTERNAL_CHAIN, EXTERNAL_CHAIN, type HdChain, type HdKeychain } from './mnemonic.js'
import { GAP_LIMIT, WalletError, type WalletAddress } from './wallet-types.js'

export interface WalletKeyEntry { info: WalletAddress, privateKey: Uint8Array }

export class WalletKeys {
  /** Receiving (HD external, then imported) addresses: what addresses() lists. */
  readonly entries: WalletKeyEntry[] = []
  /** Change addresses handed out, in index order. */
  readonly changeEntries: WalletKeyEntry[] = []
  readonly byHash = new Map<string, WalletKeyEntry>()
  /** The next GAP_LIMIT addresses of each HD chain, not handed out yet. */
  readonly lookahead = new Map<string, WalletKeyEntry>()
  /**
   * The first four bytes of every hash ever put in byHash or lookahead: a
   * superset test that answers most addresses without the hex string and
   * two map lookups (a syncing node asks it of every output of every block:
   * ~5% of an initial sync's main thread). Never emptied, so it can only
   * say yes too often, never no: bounded by the keys ever derived.
   */
  private readonly prefixes = new Set<number>()

  constructor (private readonly params: NetworkParams, private readonly keychain: HdKeychain | null) {}

  addHd (index: number, chain: HdChain): WalletKeyEntry {
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

  addImported (privateKey: Uint8Array): WalletKeyEntry {
    return this.add(privateKey, 'imported')
  }

  private entryOf (privateKey: Uint8Array, source: WalletAddress['source'], index?: number): WalletKeyEntry {
    const hash = addressHashOfPublicKey(publicKeyOf(privateKey))
    const info: WalletAddress = { address: encodeAddress(hash, this.params), hash, source, ...(index === undefined ? {} : { index }) }
    return { info, privateKey }
  }

  private add (privateKey: Uint8Array, source: WalletAddress['source'], index?: number): WalletKeyEntry {
    const entry = this.entryOf(privateKey, source, index)
    const hex = toHex(entry.info.hash)
    const existing = this.byHash.get(hex)
    // An imported key that is also an HD key (a file edited by hand) keeps one entry.
    if (existing !== undefined && equalBytes(existing.privateKey, privateKey)) return existing
    this.lookahead.delete(hex)
    if (source === 'change') this.changeEntries.push(entry)
    else this.entries.push(entry)
    this.byHash.set(hex, entry)
    this.prefixes.add(prefixOf(entry.info.hash))
    return entry
  }

  /** False only for an address hash that is neither handed out nor in the window (true may be either). */
  mayHold (addressHash: Uint8Array): boolean {
    return this.prefixes.has(prefixOf(addressHash))
  }

  /** Derives the gap-limit window of each chain past what was handed out. */
  refillLookahead (hd: WalletSecret['hd']): void {
    if (hd === null || this.keychain === null) return
    for (const [chain, next] of [[EXTERNAL_CHAIN, hd.nextIndex], [INTERNAL_CHAIN, hd.nextChangeIndex]] as Array<[HdChain, number]>) {
      const source = chain === INTERNAL_CHAIN ? 'change' : 'hd'
      const have = new Set([...this.lookahead.values()].filter(e => e.info.source === source).map(e => e.info.index))
      for (const [hex, e] of this.lookahead) if (e.info.source === source && (e.info.index as number) < next) this.lookahead.delete(hex)
      for (let i = next; i < next + GAP_LIMIT && i < 2 ** 31; i++) {
        if (have.has(i)) continue
        const entry = this.entryOf(this.keychain.privateKey(i, chain), source, i)
        const hex = toHex(entry.info.hash)
        if (!this.byHash.has(hex)) {
          this.lookahead.set(hex, entry)
          this.prefixes.add(prefixOf(entry.info.hash))
        }
      }
    }
  }
}

/** An address hash's first four bytes as one number (missing bytes read as 0). */
function prefixOf (hash: Uint8Array): number {
  return ((hash[0] << 24) | (hash[1] << 16) | (hash[2] << 8) | hash[3]) >>> 0
}
