// The light wallet's own unconfirmed transactions, kept in a small JSON file
// so a restart neither forgets a payment it published (and offers its coins
// again) nor stops re-announcing it until a proof confirms it.
//
// Written atomically (Bitcoin Core's way for its small files): a temporary
// file in the same directory, fsync, rename over the old file, fsync of the
// directory, so a crash or a full disk leaves the old file or the new one,
// never a mix. A file that exists but does not parse is reported, not read
// as empty: reading it as empty would offer the coins of published payments
// again, and a second payment from them is a real double payment. A file
// that cannot be read or written at all is a StorageError: the node stops.
import * as nodeFs from 'node:fs'
import { basename, dirname, join } from 'node:path'
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
  /** Throws PendingFileError when the file exists but is damaged. */
  load: () => StoredPending[]
  /** Throws (the caller must not act as if saved) when the file could not be written durably. */
  save: (pending: StoredPending[]) => void
}

/** The pending file exists but cannot be read as written: the node must not start as if it were empty. */
export class PendingFileError extends Error {
  constructor (readonly path: string, message: string, options?: ErrorOptions) {
    super(`${path}: ${message} (move the file away to start without its pending transactions)`, options)
    this.name = 'PendingFileError'
  }
}

/** The file-system calls used here, so tests can make any of them fail. */
export type PendingFs = Pick<typeof nodeFs, 'readFileSync' | 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'unlinkSync' | 'readdirSync'>

interface PendingJson { hex: string, publishedAt: number }

const TMP_MARK = '.tmp-'

export interface PendingFileOptions {
  /** The file-system calls (tests make them fail). */
  fs?: PendingFs
  /** Hears of every StorageError before it is thrown (the node stops on it). */
  onFailure?: (err: StorageError) => void
}

export function pendingFile (path: string, params: NetworkParams, opts: PendingFileOptions = {}): PendingPersistence {
  const fs = opts.fs ?? nodeFs
  const failed = (err: StorageError): StorageError => { opts.onFailure?.(err); return err }
  const dir = dirname(path)
  const name = basename(path)

  /** Temporary files a crash left behind (ours are `<name>.tmp-<pid>-<n>`). */
  const removeStaleTemps = (): void => {
    let entries: string[]
    try {
      entries = fs.readdirSync(dir)
    } catch {
      return
    }
    for (const e of entries) {
      if (e.startsWith(name + TMP_MARK)) {
        try { fs.unlinkSync(join(dir, e)) } catch {}
      }
    }
  }

  let seq = 0
  return {
    load: () => {
      removeStaleTemps()
      let text: string
      try {
        text = fs.readFileSync(path, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
        throw failed(new StorageError('pending transactions file', path, 'read', err))
      }
      let items: unknown
      try {
        items = JSON.parse(text)
      } catch (err) {
        throw new PendingFileError(path, `the pending-transaction file is damaged: ${(err as Error).message}`, { cause: err })
      }
      if (!Array.isArray(items)) throw new PendingFileError(path, 'the pending-transaction file is damaged: not a list')
      return items.map((item: PendingJson, i) => {
        try {
          const publishedAt = Number(item.publishedAt)
          if (!Number.isSafeInteger(publishedAt) || publishedAt < 0) throw new Error(`bad publishedAt ${String(item.publishedAt)}`)
          return { tx: decodeTx(fromHex(item.hex), params.maxTxSize), publishedAt }
        } catch (err) {
          throw new PendingFileError(path, `the pending-transaction file is damaged: entry ${i}: ${(err as Error).message}`, { cause: err })
        }
      })
    },
    save: (pending) => {
      const json: PendingJson[] = pending.map(p => ({ hex: toHex(txBytes(p.tx)), publishedAt: p.publishedAt }))
      const tmp = join(dir, `${name}${TMP_MARK}${process.pid}-${seq++}`)
      let fd: number | undefined
      try {
        fd = fs.openSync(tmp, 'w', 0o600)
        const bytes = Buffer.from(JSON.stringify(json))
        for (let off = 0; off < bytes.length;) off += fs.writeSync(fd, bytes, off, bytes.length - off)
        fs.fsyncSync(fd)
        fs.closeSync(fd)
        fd = undefined
        fs.renameSync(tmp, path)
        // the rename itself must survive a power cut
        const dirFd = fs.openSync(dir, 'r')
        try {
          fs.fsyncSync(dirFd)
        } finally {
          fs.closeSync(dirFd)
        }
      } catch (err) {
        if (fd !== undefined) try { fs.closeSync(fd) } catch {}
        try { fs.unlinkSync(tmp) } catch {}
        // a StorageError, not a bare errno: the send that called this fails, and the node stops (see FatalSignal)
        throw failed(new StorageError('pending transactions file', path, 'write', err))
      }
    }
  }
}
