// The wallet file on disk. Writes are atomic: a temporary file in the same
// directory is written, fsynced and renamed over the target, so a crash
// leaves either the old file or the new one, never a mix.
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { toHex } from '../core/bytes.js'
import { corrupt, KeystoreError, type KeystoreFile, parseKeystore, serializeKeystore } from './keystore.js'

/** Far larger than any keystore: a bigger file is not read. */
const MAX_FILE_BYTES = 1024 * 1024

export async function loadKeystore (path: string): Promise<KeystoreFile> {
  let bytes: Buffer
  try {
    const stat = await fs.stat(path)
    if (!stat.isFile()) throw new KeystoreError('io', `${path} is not a regular file`)
    if (stat.size > MAX_FILE_BYTES) throw corrupt(`${stat.size} bytes is far larger than any keystore`)
    bytes = await fs.readFile(path)
  } catch (err) {
    if (err instanceof KeystoreError) throw err
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new KeystoreError('not-found', `no keystore at ${path}`, { cause: err })
    throw new KeystoreError('io', `cannot read keystore ${path}: ${(err as Error).message}`, { cause: err })
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw corrupt('not UTF-8 text')
  }
  return parseKeystore(text)
}

/**
 * Writes atomically with mode 0600. `overwrite: false` refuses to replace an
 * existing file ('exists'): creating a wallet must never destroy another.
 */
export async function saveKeystore (path: string, file: KeystoreFile, options: { overwrite?: boolean } = {}): Promise<void> {
  const overwrite = options.overwrite ?? true
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${toHex(randomBytes(6))}.tmp`)
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 })
    const handle = await fs.open(tmp, 'wx', 0o600)
    try {
      await handle.writeFile(serializeKeystore(file), 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    if (overwrite) {
      await fs.rename(tmp, path)
    } else {
      // link() fails with EEXIST atomically, where rename() would replace.
      await fs.link(tmp, path)
      await fs.rm(tmp, { force: true }).catch(() => {})
    }
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => {})
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && !overwrite) throw new KeystoreError('exists', `a keystore already exists at ${path}; refusing to overwrite it`, { cause: err })
    throw new KeystoreError('io', `cannot write keystore ${path}: ${(err as Error).message}`, { cause: err })
  }
  await syncDirectory(dir)
}

// The rename is durable only once the directory entry is on disk.
async function syncDirectory (dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined
  try {
    handle = await fs.open(dir, 'r')
    await handle.sync()
  } catch {
    // Some platforms and file systems cannot fsync a directory; the data itself is synced.
  } finally {
    await handle?.close()
  }
}

/** A warning when a keystore (above all an unencrypted one) is readable by others than its owner. */
export async function keystorePermissionWarning (path: string): Promise<string | null> {
  if (process.platform === 'win32') return null
  const { mode } = await fs.stat(path)
  if ((mode & 0o077) === 0) return null
  return `keystore ${path} has mode ${(mode & 0o777).toString(8)}; it should be readable by its owner only (chmod 600)`
}
