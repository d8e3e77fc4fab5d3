// One daemon per data dir, decided by a lock that dies with its process.
// node.json's pid cannot decide it: after a crash the pid may be reused by
// any other process, which would block the next start and `wallet restore`
// forever. Node has no flock(), but LevelDB takes an fcntl() lock on its
// LOCK file, which the kernel releases when the holder exits however it
// exits (SIGKILL, power cut of the process): so the daemon keeps a tiny
// LevelDB open at <data-dir>/daemon.lock for its whole life. Another process
// (or this one) opening it gets LEVEL_LOCKED while the daemon lives.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'

export const LOCK_NAME = 'daemon.lock'

export function lockPath (dataDir: string): string {
  return join(dataDir, LOCK_NAME)
}

function isLockedError (err: unknown): boolean {
  const e = err as { code?: string, cause?: { code?: string } } | null
  return e?.code === 'LEVEL_LOCKED' || e?.cause?.code === 'LEVEL_LOCKED'
}

export class DataDirLockedError extends Error {
  constructor (readonly dataDir: string) {
    super(`another node is running with the data dir ${dataDir} (its lock ${lockPath(dataDir)} is held); stop it first or use --data-dir`)
    this.name = 'DataDirLockedError'
  }
}

export class DataDirLock {
  private constructor (private readonly db: ClassicLevel) {}

  /**
   * Takes the data dir's lock or throws DataDirLockedError. A probe by
   * another process holds it for a moment, so a held lock is retried briefly.
   */
  static async acquire (dataDir: string, opts: { attempts?: number, retryMs?: number } = {}): Promise<DataDirLock> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    const attempts = opts.attempts ?? 10
    for (let i = 1; ; i++) {
      const db = new ClassicLevel(lockPath(dataDir))
      try {
        await db.open()
        return new DataDirLock(db)
      } catch (err) {
        if (!isLockedError(err)) throw new Error(`cannot take the lock ${lockPath(dataDir)}: ${(err as Error).message}`, { cause: err })
        if (i >= attempts) throw new DataDirLockedError(dataDir)
        await new Promise(resolve => setTimeout(resolve, opts.retryMs ?? 100))
      }
    }
  }

  async release (): Promise<void> {
    await this.db.close()
  }
}

/** Whether a live daemon holds the data dir (a probe: takes and releases the lock when free). */
export async function isDataDirLocked (dataDir: string): Promise<boolean> {
  const db = new ClassicLevel(lockPath(dataDir), { createIfMissing: false })
  try {
    await db.open()
  } catch (err) {
    // no lock database: no daemon of this version ever ran here
    return isLockedError(err)
  }
  await db.close()
  return false
}
