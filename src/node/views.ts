// Chain objects as the JSON views of node-api.ts.
import { toHex } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import { workForBits } from '../core/pow.js'
import { isCoinbase, outputsTotal, txid, txSize } from '../core/tx.js'
import type { Block, Transaction } from '../core/types.js'
import { blockSize } from '../core/validate.js'
import { hasData, isInvalid, type IndexEntry } from '../chain/block-index.js'
import { encodeAddress } from '../wallet/address.js'
import type { BlockView, HeaderView, TreeNodeView, TxInputView, TxView } from './node-api.js'

export function headerView (e: IndexEntry, tipHeight: number, active: boolean): HeaderView {
  const h = e.header
  return {
    hash: e.hashHex,
    height: e.height,
    version: h.version,
    prevHash: toHex(h.prevHash),
    merkleRoot: toHex(h.merkleRoot),
    time: h.time,
    bits: h.bits.toString(16).padStart(8, '0'),
    nonce: h.nonce,
    work: e.work.toString(),
    confirmations: active ? tipHeight - e.height + 1 : 0,
    active
  }
}

export interface SpentOutput { address: Uint8Array, amount: bigint }

export type SpentOutputLookup = (prevTxid: Uint8Array, index: number) => SpentOutput | undefined

export interface TxContext {
  params: NetworkParams
  tipHeight: number
  block?: { hash: string, height: number, index: number }
  receivedAt?: number
  /** Resolves spent outputs to show input amounts and the fee. */
  spent?: SpentOutputLookup
  /** The coin spent by input i when known by position (a confirmed block's undo record); tried before `spent`. */
  spentAt?: (inputIndex: number) => SpentOutput | undefined
}

// Transactions often repeat addresses (change, many payments to one payee):
// bech32m-encoding each output again costs more than decoding the transaction.
const addressText = new Map<string, string>()
const ADDRESS_TEXT_MAX = 4096

function addressOf (hash: Uint8Array, params: NetworkParams): string {
  const key = `${params.id}:${toHex(hash)}`
  let text = addressText.get(key)
  if (text === undefined) {
    text = encodeAddress(hash, params)
    if (addressText.size >= ADDRESS_TEXT_MAX) addressText.clear()
    addressText.set(key, text)
  }
  return text
}

export function txView (tx: Transaction, ctx: TxContext): TxView {
  let inTotal = 0n
  let allKnown = true
  const inputs: TxInputView[] = tx.inputs.map((i, n) => {
    const view: TxInputView = { prevTxid: toHex(i.prevTxid), prevIndex: i.prevIndex }
    const spent = ctx.spentAt?.(n) ?? ctx.spent?.(i.prevTxid, i.prevIndex)
    if (spent === undefined) allKnown = false
    else {
      view.address = addressOf(spent.address, ctx.params)
      view.amount = spent.amount.toString()
      inTotal += spent.amount
    }
    return view
  })
  const coinbase = isCoinbase(tx)
  const view: TxView = {
    txid: toHex(txid(tx)),
    size: txSize(tx),
    coinbase,
    inputs,
    outputs: tx.outputs.map(o => ({ address: addressOf(o.address, ctx.params), amount: o.amount.toString() })),
    lockTime: tx.lockTime,
    confirmations: ctx.block === undefined ? 0 : ctx.tipHeight - ctx.block.height + 1
  }
  if (!coinbase && allKnown) view.fee = (inTotal - outputsTotal(tx)).toString()
  if (ctx.block !== undefined) view.block = ctx.block
  if (ctx.receivedAt !== undefined) view.receivedAt = ctx.receivedAt
  return view
}

/** A block with its transactions when `withTransactions` (else a summary). */
export function blockView (block: Block, e: IndexEntry, tipHeight: number, active: boolean, params: NetworkParams, spent?: SpentOutputLookup, withTransactions = true): BlockView {
  const view: BlockView = { ...headerView(e, tipHeight, active), size: blockSize(block), txCount: block.transactions.length }
  if (withTransactions) {
    view.transactions = block.transactions.map((tx, index) => txView(tx, { params, tipHeight, block: { hash: e.hashHex, height: e.height, index }, spent }))
  }
  return view
}

/** A block as lists show it: the header with its size and transaction count, no transactions. */
export function blockSummaryView (e: IndexEntry, tipHeight: number, active: boolean, summary: { size: number, txCount: number }): BlockView {
  return { ...headerView(e, tipHeight, active), size: summary.size, txCount: summary.txCount }
}

export function treeNodeView (e: IndexEntry, active: boolean): TreeNodeView {
  return { hash: e.hashHex, prevHash: toHex(e.header.prevHash), height: e.height, time: e.header.time, active, invalid: isInvalid(e), hasData: hasData(e) }
}

export function difficultyOf (bits: number): number {
  return Number(workForBits(bits))
}
