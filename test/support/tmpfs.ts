// A small tmpfs the test mounts (root only) to run storage into a full disk.
// Always unmount it: `await fs.unmount()` in a finally/afterEach.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { available } from './requirements.js'

/** Whether this process can mount a tmpfs (root); with MINICOIN_REQUIRE_ALL=1 a missing one throws. */
export const canMountTmpfs = (): boolean => available('root (to mount a small tmpfs for disk-full tests)', process.getuid?.() === 0)

export interface Tmpfs {
  path: string
  /** Fills the file system with a filler file until the kernel says ENOSPC. */
  fill: () => void
  /** Removes the filler. */
  free: () => void
  unmount: () => void
}

export function mountTmpfs (sizeKiB: number): Tmpfs {
  const path = mkdtempSync(join(tmpdir(), 'minicoin-tmpfs-'))
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', path])
  if (r.status !== 0) {
    rmSync(path, { recursive: true, force: true })
    throw new Error(`mount tmpfs failed: ${r.stderr.toString()}`)
  }
  const filler = join(path, 'filler')
  let mounted = true
  return {
    path,
    fill: () => {
      const fd = openSync(filler, 'a')
      const chunk = Buffer.alloc(64 * 1024, 0xaa)
      try {
        for (;;) writeSync(fd, chunk)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
      }
      // the last partial chunk: byte by byte down to the last free byte
      try {
        for (;;) writeSync(fd, chunk, 0, 1)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
      } finally {
        closeSync(fd)
      }
    },
    free: () => { rmSync(filler, { force: true }) },
    unmount: () => {
      if (!mounted) return
      const u = spawnSync('umount', ['-l', path])
      if (u.status !== 0) throw new Error(`umount ${path} failed: ${u.stderr.toString()}`)
      mounted = false
      rmSync(path, { recursive: true, force: true })
    }
  }
}
