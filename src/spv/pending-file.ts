// The light wallet's own unconfirmed transactions, kept in a small JSON file
// so a restart neither forgets a payment it published (and offers its coins
// again) nor stops re-announcing it until a proof confirms it.
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { StorageError } from '../chain/store.js'
import { fromHex, toHex } from '../core/bytes.js'
import { decodeTx } from '../core/encoding.js'
import type { NetworkParams } from '../core/params.js'
import { txBytes } from '../core/tx.js'
import type { Transaction } from '../core/types.js'

export interface StoredPending {
  tx: Transaction
  /** Unix ms it was first published. */
  publishedAt: number
}

export interface PendingPersistence {
  load: () => StoredPending[]
  save: (pending: StoredPending[]) => void
}

interface PendingJson { hex: string, publishedAt: number }

/** `onFailure` hears of every StorageError before it is thrown (the node stops on it). */
export function pendingFile (path: string, params: NetworkParams, onFailure: (err: StorageError) => void = () => {}): PendingPersistence {
  const failed = (err: StorageError): StorageError => { onFailure(err); return err }
  return {
    load: () => {
      let text: string
      try {
        text = readFileSync(path, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
        throw failed(new StorageError('pending transactions file', path, 'read', err))
      }
      const out: StoredPending[] = []
      try {
        for (const item of JSON.parse(text) as PendingJson[]) {
          // a damaged entry costs only that entry: the chain is the record, this is a convenience
          try {
            out.push({ tx: decodeTx(fromHex(item.hex), params.maxTxSize), publishedAt: Number(item.publishedAt) || Date.now() })
          } catch {}
        }
      } catch {}
      return out
    },
    save: (pending) => {
      const json: PendingJson[] = pending.map(p => ({ hex: toHex(txBytes(p.tx)), publishedAt: p.publishedAt }))
      const tmp = `${path}.tmp-${process.pid}`
      // a StorageError, not a bare errno: the send that called this fails, and the node stops (see FatalSignal)
      try {
        writeFileSync(tmp, JSON.stringify(json), { mode: 0o600 })
        renameSync(tmp, path)
      } catch (err) {
        throw failed(new StorageError('pending transactions file', path, 'write', err))
      }
    }
  }
}
