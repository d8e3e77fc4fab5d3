// The wallet's shapes and its error, shared by wallet.ts and wallet-keys.ts.

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
