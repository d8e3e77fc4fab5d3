// Builds the storage batch that connects or disconnects one block: UTXO
// changes, undo data and indexes together, so a crash can never leave the
// tip, the UTXO set and the indexes disagreeing.
import { equalBytes, toHex } from '../core/bytes.js'
import { ValidationError } from '../core/errors.js'
import { blockReward, type NetworkParams } from '../core/params.js'
import { coinbaseHeight, isCoinbase, outputsTotal, txid } from '../core/tx.js'
import type { Block } from '../core/types.js'
import { blockSignatureVerdict } from './block-signatures.js'
import type { VerifiedTxs } from './verified-txs.js'
import type { SignatureVerifier } from '../crypto/verifier.js'
import { type CoinLookup, CoinView } from './coin-view.js'
import { checkTxInputs } from './tx-verify.js'
import { type Coin, COIN_BYTES, decodeCoin, decodeUndo, encodeCoin, encodeTxLocation, encodeUndo, TX_LOCATION_BYTES } from './records.js'
import type { BatchOp, ChainStore, PreparedBatch } from './store.js'
import { addressKey, addressKeyBytes, coinKey, key, META_TIP, Prefix, txKey, u32be } from './db-layout.js'
import { Slab } from './batch-slab.js'
import type { IndexEntry } from './block-index.js'

/** The addresses a transaction pays or spends from, each once (few: compared pairwise, no strings; many: a map). */
function distinctAddresses (outputs: ReadonlyArray<{ address: Uint8Array }>, spent: readonly Coin[]): Uint8Array[] {
  const all = outputs.length + spent.length
  if (all > 16) {
    const byHex = new Map<string, Uint8Array>()
    for (const o of outputs) byHex.set(toHex(o.address), o.address)
    for (const c of spent) byHex.set(toHex(c.address), c.address)
    return [...byHex.values()]
  }
  const out: Uint8Array[] = []
  for (let i = 0; i < all; i++) {
    const a = i < outputs.length ? outputs[i].address : spent[i - outputs.length].address
    let seen = false
    for (let j = 0; j < out.length && !seen; j++) seen = equalBytes(a, out[j])
    if (!seen) out.push(a)
  }
  return out
}

/** Index ops shared by connect (put) and disconnect (del): tx locations and address history. */
function indexOps (ops: BatchOp[], block: Block, entry: IndexEntry, spentByTx: Coin[][], put: boolean, slab: Slab): void {
  const txs = block.transactions
  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i]
    const id = txid(tx)
    const addresses = distinctAddresses(tx.outputs, spentByTx[i] ?? [])
    const tk = txKey(id, slab.take(1 + id.length))
    if (put) ops.push({ type: 'put', key: tk, value: encodeTxLocation({ blockHash: entry.hash, height: entry.height, index: i }, slab.take(TX_LOCATION_BYTES)) })
    else ops.push({ type: 'del', key: tk })
    const pos = put ? u32be(i, slab.take(4)) : undefined
    for (const a of addresses) {
      const k = addressKey(a, entry.height, id, slab.take(addressKeyBytes(a, id)))
      ops.push(pos !== undefined ? { type: 'put', key: k, value: pos } : { type: 'del', key: k })
    }
  }
  const heightKey = key(Prefix.height, u32be(entry.height))
  ops.push(put ? { type: 'put', key: heightKey, value: entry.hash } : { type: 'del', key: heightKey })
}

/** The UTXO set read straight from the store (no coin cache). */
function storeCoins (store: ChainStore): CoinLookup {
  const at = (k: Uint8Array): Coin | undefined => { const v = store.get(k); return v === undefined ? undefined : decodeCoin(v) }
  return { getCoin: (id, index) => at(coinKey(id, index)), getCoinAt: at }
}

export interface ConnectOptions {
  /** Reads the UTXO set as of the tip (the coin cache); default: the store. */
  coins?: CoinLookup
  /** Stage the ops in the store while the signatures are verified (result.batch: only the write is left). */
  stage?: boolean
  /** With `stage`: ops staged in the same batch ahead of the block's (its own data, when it arrives on the tip). */
  alongside?: BatchOp[]
  /** Transactions whose signatures were verified already (on their way into the mempool): not verified again. */
  verified?: VerifiedTxs
}

export interface ConnectResult {
  ops: BatchOp[]
  /** With `stage`: the ops, staged; write() it or discard() it. */
  batch?: PreparedBatch
  fees: bigint
}

/**
 * Full contextual validation of a block on top of the current tip, and the
 * batch that applies it (staged with `opts.stage`). Throws ValidationError
 * when the block is invalid (nothing staged is left behind).
 */
export async function connectBlock (
  block: Block,
  entry: IndexEntry,
  store: ChainStore,
  verifier: SignatureVerifier,
  p: NetworkParams,
  opts: ConnectOptions = {}
): Promise<ConnectResult> {
  const height = entry.height
  // keys and index values in one slab
  const slab = new Slab()
  const view = new CoinView(opts.coins ?? storeCoins(store), slab)
  const spentByTx: Coin[][] = []
  const undo: Coin[] = []
  let fees = 0n

  const txs = block.transactions
  const coinbase = txs[0]
  // [REJECT] the coinbase commits to its height (BIP34), so coinbase txids stay unique
  if (coinbaseHeight(coinbase) !== height) throw new ValidationError('cb-bad-height', `coinbase says height ${coinbaseHeight(coinbase)}, block is at ${height}`)

  // Signatures need no chain state: the worker pool checks them (or has
  // checked them, when the block was preverified) while this thread looks up
  // and spends the inputs, and builds and stages the batch.
  const verdict = blockSignatureVerdict(block, verifier, p, opts.verified)

  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i]
    if (!isCoinbase(tx)) {
      const r = checkTxInputs(tx, view, height, p, false)
      fees += r.fee
      spentByTx[i] = r.spent
      for (const c of r.spent) undo.push(c)
    }
    const id = txid(tx)
    const outputs = tx.outputs
    for (let index = 0; index < outputs.length; index++) view.add(id, index, { amount: outputs[index].amount, address: outputs[index].address, height, coinbase: i === 0 })
  }

  const allowed = blockReward(height, p) + fees
  // [REJECT] the coinbase claims more than reward + fees
  if (outputsTotal(coinbase) > allowed) throw new ValidationError('cb-amount-too-large', `coinbase pays ${outputsTotal(coinbase)}, at most ${allowed} allowed`)

  const ops: BatchOp[] = opts.alongside !== undefined ? [...opts.alongside] : []
  for (const [text, k] of view.spent) ops.push({ type: 'del', key: k, text })
  // Coin values in a slab of their own, sized to this block's new coins: the
  // coin cache keeps them, and with them their chunk, so a 64 KiB chunk per
  // block would make a chain of small blocks hold 64 KiB per cached coin.
  const values = new Slab(Math.max(1, view.added.size) * COIN_BYTES)
  for (const [text, a] of view.added) ops.push({ type: 'put', key: a.key, value: encodeCoin(a.coin, values.take(COIN_BYTES)), text })
  ops.push({ type: 'put', key: key(Prefix.undo, entry.hash), value: encodeUndo(undo) })
  indexOps(ops, block, entry, spentByTx, true, slab)
  ops.push({ type: 'put', key: META_TIP, value: entry.hash })
  const batch = opts.stage === true ? store.prepare(ops) : undefined

  let bad: number
  try {
    bad = await verdict
  } catch (err) {
    batch?.discard()
    throw err
  }
  // [REJECT] every input signature verifies
  if (bad !== -1) {
    batch?.discard()
    throw new ValidationError('tx-bad-signature', `transaction ${bad} has an invalid signature`)
  }
  return { ops, batch, fees }
}

/** The batch that undoes the tip block using its undo data. */
export function disconnectBlock (block: Block, entry: IndexEntry, store: ChainStore): BatchOp[] {
  const undoBytes = store.get(key(Prefix.undo, entry.hash))
  if (undoBytes === undefined) throw new Error(`undo data missing for block ${entry.hashHex}`)
  const undo = decodeUndo(undoBytes)
  const ops: BatchOp[] = []
  const spentByTx: Coin[][] = []
  let u = 0
  block.transactions.forEach((tx, i) => {
    if (isCoinbase(tx)) return
    spentByTx[i] = undo.slice(u, u + tx.inputs.length)
    u += tx.inputs.length
  })
  if (u !== undo.length) throw new Error(`undo data of block ${entry.hashHex} does not match its inputs`)
  // Outputs created here vanish; coins spent here come back. Coins spent and
  // created in the same block were never stored, so deleting them is a no-op.
  for (const tx of block.transactions) {
    const id = txid(tx)
    tx.outputs.forEach((_, index) => ops.push({ type: 'del', key: coinKey(id, index) }))
  }
  const createdHere = new Set(block.transactions.map(tx => Buffer.from(txid(tx)).toString('hex')))
  block.transactions.forEach((tx, i) => {
    tx.inputs.forEach((input, j) => {
      if (createdHere.has(Buffer.from(input.prevTxid).toString('hex'))) return
      ops.push({ type: 'put', key: coinKey(input.prevTxid, input.prevIndex), value: encodeCoin(spentByTx[i][j]) })
    })
  })
  ops.push({ type: 'del', key: key(Prefix.undo, entry.hash) })
  indexOps(ops, block, entry, spentByTx, false, new Slab())
  ops.push({ type: 'put', key: META_TIP, value: entry.parent!.hash })
  return ops
}
