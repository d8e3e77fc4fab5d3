// What is known of a transaction object: its canonical bytes (as decoded,
// or encoded once) and its txid once asked for (tx.ts). One entry per
// transaction for both: a block's transactions are asked for their bytes
// and txid many times.
//
// Kept on the object itself, under a symbol and not enumerable (so spreads,
// JSON and deep equality do not see it; a spread copy has none, as a copy
// may be changed): a WeakMap cost a hash lookup at every ask and an
// ephemeron per transaction for the collector to trace, ~3% of an initial
// sync's main thread (BENCHMARKS.md, issue 12 session 9). An object that
// cannot take a property (frozen or sealed) is remembered in a WeakMap.
import type { Transaction } from './types.js'

export interface TxMemo {
  bytes: Uint8Array
  id: Uint8Array | undefined
}

const MEMO = Symbol('minicoin.txMemo')
type Memoized = Transaction & { [MEMO]?: TxMemo }
const closedObjects = new WeakMap<Transaction, TxMemo>()

export function txMemo (tx: Transaction): TxMemo | undefined {
  return (tx as Memoized)[MEMO] ?? closedObjects.get(tx)
}

export function knownTxBytes (tx: Transaction): Uint8Array | undefined {
  return txMemo(tx)?.bytes
}

export function rememberTxBytes (tx: Transaction, bytes: Uint8Array): TxMemo {
  const memo: TxMemo = { bytes, id: undefined }
  if (Object.isExtensible(tx)) Object.defineProperty(tx, MEMO, { value: memo, writable: true, configurable: true, enumerable: false })
  else closedObjects.set(tx, memo)
  return memo
}
