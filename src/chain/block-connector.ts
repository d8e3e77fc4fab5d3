// Builds the storage batch that connects or disconnects one block: UTXO
// changes, undo data and indexes together, so a crash can never leave the
// tip, the UTXO set and the indexes disagreeing.
import { ValidationError } from '../core/errors.js'
import { blockReward, type NetworkParams } from '../core/params.js'
import { coinbaseHeight, isCoinbase, outputsTotal, txid } from '../core/tx.js'
import type { Block } from '../core/types.js'
import { blockSignatureVerdict } from './block-signatures.js'
import type { SignatureVerifier } from '../crypto/verifier.js'
import { CoinView } from './coin-view.js'
import { checkTxInputs } from './tx-verify.js'
import { type Coin, decodeUndo, encodeCoin, encodeTxLocation, encodeUndo } from './records.js'
import type { BatchOp, ChainStore } from './store.js'
import { addressKey, coinKey, key, META_TIP, Prefix, u32be } from './db-layout.js'
import type { IndexEntry } from './block-index.js'

/** Index ops shared by connect (put) and disconnect (del): tx locations and address history. */
function indexOps (block: Block, entry: IndexEntry, spentByTx: Coin[][], put: boolean): BatchOp[] {
  const ops: BatchOp[] = []
  block.transactions.forEach((tx, i) => {
    const id = txid(tx)
    const pos = u32be(i)
    const addresses = new Map<string, Uint8Array>()
    for (const o of tx.outputs) addresses.set(Buffer.from(o.address).toString('hex'), o.address)
    for (const c of spentByTx[i] ?? []) addresses.set(Buffer.from(c.address).toString('hex'), c.address)
    const txKey = key(Prefix.tx, id)
    if (put) ops.push({ type: 'put', key: txKey, value: encodeTxLocation({ blockHash: entry.hash, height: entry.height, index: i }) })
    else ops.push({ type: 'del', key: txKey })
    for (const a of addresses.values()) {
      const k = addressKey(a, entry.height, id)
      ops.push(put ? { type: 'put', key: k, value: pos } : { type: 'del', key: k })
    }
  })
  const heightKey = key(Prefix.height, u32be(entry.height))
  ops.push(put ? { type: 'put', key: heightKey, value: entry.hash } : { type: 'del', key: heightKey })
  return ops
}

export interface ConnectResult {
  ops: BatchOp[]
  fees: bigint
}

/**
 * Full contextual validation of a block on top of the current tip, and the
 * batch that applies it. Throws ValidationError when the block is invalid.
 */
export async function connectBlock (
  block: Block,
  entry: IndexEntry,
  store: ChainStore,
  verifier: SignatureVerifier,
  p: NetworkParams
): Promise<ConnectResult> {
  const height = entry.height
  const view = new CoinView({ getCoin: (id, index) => { const v = store.get(coinKey(id, index)); return v === undefined ? undefined : decodeCoinValue(v) } })
  const spentByTx: Coin[][] = []
  const undo: Coin[] = []
  let fees = 0n

  const coinbase = block.transactions[0]
  // [REJECT] the coinbase commits to its height (BIP34), so coinbase txids stay unique
  if (coinbaseHeight(coinbase) !== height) throw new ValidationError('cb-bad-height', `coinbase says height ${coinbaseHeight(coinbase)}, block is at ${height}`)

  // Signatures need no chain state: the worker pool checks them (or has
  // checked them, when the block was preverified) while this thread looks up
  // and spends the inputs.
  const verdict = blockSignatureVerdict(block, verifier, p)

  block.transactions.forEach((tx, i) => {
    if (!isCoinbase(tx)) {
      const r = checkTxInputs(tx, (id, index) => view.spend(id, index), height, p, false)
      fees += r.fee
      spentByTx[i] = r.spent
      undo.push(...r.spent)
    }
    const id = txid(tx)
    tx.outputs.forEach((o, index) => view.add(id, index, { amount: o.amount, address: o.address, height, coinbase: i === 0 }))
  })

  const allowed = blockReward(height, p) + fees
  // [REJECT] the coinbase claims more than reward + fees
  if (outputsTotal(coinbase) > allowed) throw new ValidationError('cb-amount-too-large', `coinbase pays ${outputsTotal(coinbase)}, at most ${allowed} allowed`)

  const bad = await verdict
  // [REJECT] every input signature verifies
  if (bad !== -1) throw new ValidationError('tx-bad-signature', `transaction ${bad} has an invalid signature`)

  const ops: BatchOp[] = []
  for (const s of view.spent.values()) ops.push({ type: 'del', key: coinKey(s.txid, s.index) })
  for (const a of view.added.values()) ops.push({ type: 'put', key: coinKey(a.txid, a.index), value: encodeCoin(a.coin) })
  ops.push({ type: 'put', key: key(Prefix.undo, entry.hash), value: encodeUndo(undo) })
  ops.push(...indexOps(block, entry, spentByTx, true))
  ops.push({ type: 'put', key: META_TIP, value: entry.hash })
  return { ops, fees }
}

function decodeCoinValue (v: Uint8Array): Coin {
  // kept local so the view's lookups stay allocation-light
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength)
  return { amount: view.getBigUint64(0), address: v.subarray(8, 28), height: view.getUint32(28), coinbase: v[32] === 1 }
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
  ops.push(...indexOps(block, entry, spentByTx, false))
  ops.push({ type: 'put', key: META_TIP, value: entry.parent!.hash })
  return ops
}
