// Domain types of the consensus core. Amounts are bigint base units.

export interface TxInput {
  prevTxid: Uint8Array // 32 bytes
  prevIndex: number
  publicKey: Uint8Array // 33 bytes, compressed
  signature: Uint8Array // 64 bytes, compact low-S ECDSA
}

export interface TxOutput {
  amount: bigint
  address: Uint8Array // 20-byte hash160
}

export interface Transaction {
  version: number
  inputs: TxInput[]
  outputs: TxOutput[]
  lockTime: number
  /** Non-empty only in a coinbase: block height (u32 LE) followed by free data. */
  coinbase: Uint8Array
}

export interface BlockHeader {
  version: number
  prevHash: Uint8Array // 32 bytes
  merkleRoot: Uint8Array // 32 bytes
  time: number // unix seconds
  bits: number // compact target
  nonce: number
}

export interface Block {
  header: BlockHeader
  transactions: Transaction[]
}

export interface OutPoint {
  txid: Uint8Array
  index: number
}

export const HASH_BYTES = 32
export const ADDRESS_BYTES = 20
export const PUBLIC_KEY_BYTES = 33
export const SIGNATURE_BYTES = 64
export const HEADER_BYTES = 80
