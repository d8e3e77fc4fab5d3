// Start-up of a block index from its database, shared by the full node's
// Chain and the light node's HeaderChain: create the database at genesis or
// check it belongs to this network, read every index record, link them,
// delete those that do not lead back to genesis, and set the stored tip.
import { fromHex, hexOf, toHex } from '../core/bytes.js'
import type { NetworkParams } from '../core/params.js'
import { BlockIndex, type IndexEntry } from './block-index.js'
import { indexRecordOp, key, META_NETWORK, META_TIP, Prefix } from './db-layout.js'
import { decodeIndexRecord, view32 } from './records.js'
import type { BatchOp, ChainStore } from './store.js'

export interface IndexLoadOptions {
  store: ChainStore
  index: BlockIndex
  params: NetworkParams
  /** Status of the genesis entry when the database is created. */
  genesisStatus: number
  /** What a new database stores for genesis beside its index record and the meta keys (the full node: its block and indexes). */
  genesisOps: (genesis: IndexEntry) => BatchOp[]
  /** What is deleted with the record of an entry that does not link to genesis (the full node: its block bytes too). */
  dropOps: (e: IndexEntry) => BatchOp[]
  log: { warn: (msg: string, fields?: Record<string, unknown>) => void }
}

/** Fills `index` and sets its tip; returns how many records it dropped because they did not link to genesis. */
export async function loadIndex (opts: IndexLoadOptions): Promise<number> {
  const { store, index, params: p } = opts
  const network = store.get(META_NETWORK)
  if (network === undefined) {
    // the entry is built apart and indexed only once the batch is on disk
    const genesis = BlockIndex.create(p.genesis.header, undefined, opts.genesisStatus)
    await store.write([
      indexRecordOp(genesis),
      ...opts.genesisOps(genesis),
      { type: 'put', key: META_TIP, value: genesis.hash },
      { type: 'put', key: META_NETWORK, value: fromHex(p.genesisHash) }
    ])
    index.restore(genesis)
    index.setTip(genesis)
    return 0
  }
  if (toHex(network) !== p.genesisHash) {
    throw new Error(`this ${store.what} belongs to another network (genesis ${toHex(network)}), not ${p.id} (genesis ${p.genesisHash})`)
  }
  // in chunks: a miner's or a synced node's index has thousands of records, and one await each was most of their cost
  for await (const chunk of store.scanChunks(new Uint8Array([Prefix.index]))) {
    for (const [k, v] of chunk) {
      const rec = decodeIndexRecord(v)
      const hash = view32(k, 1) // the key is this record's own copy
      index.restore({ hash, hashHex: hexOf(k, 1, 33), header: rec.header, height: rec.height, work: rec.work, status: rec.status, parent: undefined })
    }
  }
  // Every record must lead back to genesis through stored parents. Older
  // versions could write a block's record without its parent's (a header
  // batch that failed part-way), and a damaged store can lose one: such
  // records, and any built on them, are deleted instead of failing to open.
  const dropped = index.linkAndPrune(p.genesisHash)
  if (dropped.length > 0) {
    await store.write(dropped.flatMap(e => [{ type: 'del', key: key(Prefix.index, e.hash) } satisfies BatchOp, ...opts.dropOps(e)]))
    opts.log.warn(`${store.what}: index repaired, dropped records not linked to genesis`, { dropped: dropped.length, lowest: dropped[0].height, example: dropped[0].hashHex })
  }
  const tipHash = store.get(META_TIP)
  const tip = tipHash === undefined ? undefined : index.get(toHex(tipHash))
  if (tip === undefined) throw new Error(`${store.what} is corrupt: its tip is not in the block index`)
  index.setTip(tip)
  return dropped.length
}
