// What is known of a transaction object: its canonical bytes (as decoded,
// or encoded once) and its txid once asked for (tx.ts). One entry per
// transaction for both: a WeakMap lookup is not free, and a block's
// transactions are asked for their bytes and txid many times.
import type { Transaction } from './types.js'

export interface TxMemo {
  bytes: Uint8Array
  id: Uint8Array | undefined
}

const txMemos = new WeakMap<Transaction, TxMemo>()

export function txMemo (tx: Transaction): TxMemo | undefined {
  return txMemos.get(tx)
}

export function knownTxBytes (tx: Transaction): Uint8Array | undefined {
  return txMemos.get(tx)?.bytes
}

export function rememberTxBytes (tx: Transaction, bytes: Uint8Array): TxMemo {
  const memo: TxMemo = { bytes, id: undefined }
  txMemos.set(tx, memo)
  return memo
}
