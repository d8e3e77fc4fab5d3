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
import { type Coin, COIN_BYTES, decodeCoin, decodeUndo, encodeCoin, TX_LOCATION_BYTES, writeTxLocation } from './records.js'
import type { BatchOp, ChainStore, PreparedBatch, StagedBatch } from './store.js'
import { addressKeyBytes, COIN_KEY_BYTES, coinKey, key, META_TIP, Prefix, setU32be, u32be, writeAddressKey, writeTxKey } from './db-layout.js'
import { BlockBatch, PackedOps } from './block-batch.js'
import type { IndexEntry } from './block-index.js'

/** Address `i` of a transaction's outputs then spent coins. */
function addressAt (outputs: ReadonlyArray<{ address: Uint8Array }>, spent: readonly Coin[], i: number): Uint8Array {
  return i < outputs.length ? outputs[i].address : spent[i - outputs.length].address
}

/**
 * The addresses a transaction pays or spends from, each once, in order of
 * first appearance, handed to `each` (few: compared pairwise in place, no
 * array per transaction; many: a map by hex).
 */
function forDistinctAddresses (outputs: ReadonlyArray<{ address: Uint8Array }>, spent: readonly Coin[], each: (a: Uint8Array) => void): void {
  const all = outputs.length + spent.length
  if (all > 16) {
    const byHex = new Map<string, Uint8Array>()
    for (const o of outputs) byHex.set(toHex(o.address), o.address)
    for (const c of spent) byHex.set(toHex(c.address), c.address)
    byHex.forEach(each)
    return
  }
  for (let i = 0; i < all; i++) {
    const a = addressAt(outputs, spent, i)
    let seen = false
    for (let j = 0; j < i && !seen; j++) seen = equalBytes(a, addressAt(outputs, spent, j))
    if (!seen) each(a)
  }
}

// Bytes of the ops txIndexOps writes for one transaction, at most (20-byte addresses; the batch grows if not).
const TX_INDEX_BYTES = 1 + 32 + TX_LOCATION_BYTES + 4
const ADDRESS_KEY_BYTES = 1 + 20 + 4 + 32

/**
 * Index ops of one transaction, shared by connect (put) and disconnect
 * (del): its location and its address history, written into `packed`.
 */
function txIndexOps (packed: PackedOps, id: Uint8Array, i: number, outputs: ReadonlyArray<{ address: Uint8Array }>, spent: readonly Coin[], entry: IndexEntry, put: boolean): void {
  const k = packed.reserve(1 + id.length + (put ? TX_LOCATION_BYTES + 4 : 0))
  const b = packed.bytes
  writeTxKey(b, k, id)
  const v = k + 1 + id.length
  // the position of the tx in its block: the value of each of its address records
  const pos = v + TX_LOCATION_BYTES
  if (put) {
    writeTxLocation(b, v, entry.hash, entry.height, i)
    setU32be(b, pos, i)
    packed.put(k, 1 + id.length, v, TX_LOCATION_BYTES)
  } else packed.del(k, 1 + id.length)
  forDistinctAddresses(outputs, spent, a => {
    const n = addressKeyBytes(a, id)
    const ak = packed.reserve(n)
    writeAddressKey(packed.bytes, ak, a, entry.height, id)
    if (put) packed.put(ak, n, pos, 4)
    else packed.del(ak, n)
  })
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
  /** The block's ops (without `alongside`), and its coin changes. */
  ops: BlockBatch
  /** With `stage`: `alongside` and the ops, staged; write() it or discard() it. */
  batch?: PreparedBatch
  fees: bigint
}

const NO_COINS: Coin[] = []

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
  const txs = block.transactions
  const coinbase = txs[0]
  // [REJECT] the coinbase commits to its height (BIP34), so coinbase txids stay unique
  if (coinbaseHeight(coinbase) !== height) throw new ValidationError('cb-bad-height', `coinbase says height ${coinbaseHeight(coinbase)}, block is at ${height}`)

  // Signatures need no chain state: the worker pool checks them (or has
  // checked them, when the block was preverified) while this thread looks up
  // and spends the inputs, and builds and stages the batch.
  const verdict = blockSignatureVerdict(block, verifier, p, opts.verified)

  // Sizes first, so the batch's buffer and the coin view's are allocated once.
  let inputs = 0
  let outputs = 0
  for (let i = 0; i < txs.length; i++) {
    outputs += txs[i].outputs.length
    if (!isCoinbase(txs[i])) inputs += txs[i].inputs.length
  }
  const view = new CoinView(opts.coins ?? storeCoins(store), outputs)
  const packed = new PackedOps(
    33 + inputs * COIN_BYTES + txs.length * TX_INDEX_BYTES + (inputs + outputs) * ADDRESS_KEY_BYTES +
      inputs * COIN_KEY_BYTES + outputs * (COIN_KEY_BYTES + COIN_BYTES) + 128,
    txs.length + (inputs + outputs) * 2 + 4)
  // the undo data (the spent coins in input order), written as the inputs are spent
  const undoKey = packed.reserve(33 + inputs * COIN_BYTES)
  packed.bytes[undoKey] = Prefix.undo
  packed.bytes.set(entry.hash, undoKey + 1)
  let undoAt = undoKey + 33
  let fees = 0n
  // each transaction's spent coins, one array refilled for all of them
  const txSpent: Coin[] = []

  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i]
    let spent = NO_COINS
    if (!isCoinbase(tx)) {
      fees += checkTxInputs(tx, view, height, p, false, txSpent).fee
      spent = txSpent
      for (const c of spent) { encodeCoin(c, packed.bytes, undoAt); undoAt += COIN_BYTES }
    }
    const id = txid(tx)
    const outs = tx.outputs
    for (let index = 0; index < outs.length; index++) view.add(id, index, { amount: outs[index].amount, address: outs[index].address, height, coinbase: i === 0 })
    txIndexOps(packed, id, i, outs, spent, entry, true)
  }

  const allowed = blockReward(height, p) + fees
  // [REJECT] the coinbase claims more than reward + fees
  if (outputsTotal(coinbase) > allowed) throw new ValidationError('cb-amount-too-large', `coinbase pays ${outputsTotal(coinbase)}, at most ${allowed} allowed`)

  packed.put(undoKey, 33, undoKey + 33, inputs * COIN_BYTES)
  const coinOpsAt = packed.count
  // coins spent, then created (a key spent and created again ends created)
  // (forEach: a for-of over a Map makes an entry array per coin)
  view.spent.forEach(s => {
    const k = packed.reserve(COIN_KEY_BYTES)
    packed.bytes.write(s, k, COIN_KEY_BYTES, 'latin1')
    packed.del(k, COIN_KEY_BYTES)
  })
  const values = view.values
  view.added.forEach((at, s) => {
    const k = packed.reserve(COIN_KEY_BYTES + COIN_BYTES)
    const b = packed.bytes
    b.write(s, k, COIN_KEY_BYTES, 'latin1')
    for (let j = 0, v = k + COIN_KEY_BYTES; j < COIN_BYTES; j++) b[v + j] = values[at + j]
    packed.put(k, COIN_KEY_BYTES, k + COIN_KEY_BYTES, COIN_BYTES)
  })
  packed.putBytes(key(Prefix.height, u32be(height)), entry.hash)
  packed.putBytes(META_TIP, entry.hash)
  const ops = new BlockBatch(packed, view, coinOpsAt)
  let batch: StagedBatch | undefined
  if (opts.stage === true) {
    batch = store.stage()
    if (opts.alongside !== undefined) batch.add(opts.alongside)
    batch.add(ops)
  }

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
  const index = new PackedOps()
  block.transactions.forEach((tx, i) => { txIndexOps(index, txid(tx), i, tx.outputs, spentByTx[i] ?? NO_COINS, entry, false) })
  for (const op of index.toOps()) ops.push(op)
  ops.push({ type: 'del', key: key(Prefix.height, u32be(entry.height)) })
  ops.push({ type: 'put', key: META_TIP, value: entry.parent!.hash })
  return ops
}
