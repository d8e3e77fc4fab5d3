// Block bytes in flat files beside the chain database, as Bitcoin Core's
// blocks/blk*.dat: each block appended once as it is stored, never
// rewritten, read back by its position, which the database keeps (prefix
// 'f', db-layout.ts). In LevelDB the blocks were about half of what its
// compactions rewrote again and again, and a read mapped their pages into
// the node (LevelDB maps its tables): a node serving 10,005 full blocks
// held 191 MiB, and 151 with the blocks here (BENCHMARKS.md, issue 12
// session 11). A read here goes through the page cache (pread), which is
// not the node's.
//
// A file is a sequence of records: magic (u32 LE) | length (u32 LE) | the
// block's bytes; a new file starts once the next record would pass
// BLOCK_FILE_MAX_BYTES. Writes go to the newest file and continue at its
// end after a restart: whatever a crash left past the last block the
// database records is never referenced (its batch never reached the disk).
// Before a batch that records a block's position is written, the files are
// synced (ChainStore calls sync()), so no record on disk can point past
// what the files hold, even after a power cut. A block whose data is
// dropped (index-loader.ts) keeps its bytes: the space is not reused.
import fs from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

export const BLOCK_FILE_MAX_BYTES = 128 * 1024 * 1024
/** 'mcbk': each record starts with it, so a wrong position is caught, not decoded. */
export const BLOCK_RECORD_MAGIC = 0x6b62636d
export const BLOCK_RECORD_HEADER_BYTES = 8
/** Files kept open for reads (a node serving old blocks reads from many). */
const MAX_OPEN_READ_FILES = 16
const FILE_NAME = /^blk(\d{5})\.dat$/

/** fs.fdatasync looked up at each call (a test makes it fail). */
const fdatasync = async (fd: number): Promise<void> => { await promisify(fs.fdatasync)(fd) }

/** Where a block's bytes are: file number, offset of the bytes (past the record header), length. */
export interface BlockLocation { file: number, offset: number, length: number }

export const BLOCK_LOCATION_BYTES = 12

export function encodeBlockLocation (loc: BlockLocation): Uint8Array {
  const out = new Uint8Array(BLOCK_LOCATION_BYTES)
  const v = new DataView(out.buffer)
  v.setUint32(0, loc.file, true)
  v.setUint32(4, loc.offset, true)
  v.setUint32(8, loc.length, true)
  return out
}

export function decodeBlockLocation (bytes: Uint8Array): BlockLocation {
  if (bytes.length !== BLOCK_LOCATION_BYTES) throw new Error(`a block location is ${BLOCK_LOCATION_BYTES} bytes, not ${bytes.length}`)
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  return { file: v.getUint32(0, true), offset: v.getUint32(4, true), length: v.getUint32(8, true) }
}

export function blockFileName (file: number): string {
  return `blk${String(file).padStart(5, '0')}.dat`
}

/** A read or write of the block files failed; `message` says what (the store turns it into its StorageError). */
export class BlockFileError extends Error {
  constructor (readonly path: string, readonly operation: 'open' | 'read' | 'write' | 'sync', message: string, cause?: unknown) {
    super(message, { cause })
    this.name = 'BlockFileError'
  }
}

export class BlockFiles {
  private writeFd: number | undefined
  private writeFile = 0
  /** Where the next record starts in the newest file. */
  private writeAt = 0
  /** Appends so far, and how many of them a finished sync covers. */
  private appended = 0
  private synced = 0
  private syncing: Promise<void> | undefined
  /** The first failed sync: every later sync() throws it (the store stops on it). */
  private syncFailure: BlockFileError | undefined
  /** file number → descriptor, oldest opened first. */
  private readonly readFds = new Map<number, number>()
  private readonly header = new Uint8Array(BLOCK_RECORD_HEADER_BYTES)

  constructor (readonly dir: string, private readonly maxFileBytes = BLOCK_FILE_MAX_BYTES) {}

  /** Creates the directory if needed and opens the newest file for appending. */
  open (): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true })
      let newest: number | undefined
      for (const name of fs.readdirSync(this.dir)) {
        const m = FILE_NAME.exec(name)
        if (m !== null) newest = Math.max(newest ?? 0, Number(m[1]))
      }
      this.openForAppend(newest ?? 0)
      // the first file's name, as every next one's, survives a power cut only once the directory is synced
      if (newest === undefined) syncDirectory(this.dir)
    } catch (err) {
      throw err instanceof BlockFileError ? err : new BlockFileError(this.dir, 'open', (err as Error).message, err)
    }
  }

  private openForAppend (file: number): void {
    const path = join(this.dir, blockFileName(file))
    const fd = fs.openSync(path, 'a')
    this.writeFd = fd
    this.writeFile = file
    this.writeAt = fs.fstatSync(fd).size
  }

  /** Appends a block's bytes; returns where they are. Synchronous, so the bytes precede any batch that records them. */
  append (bytes: Uint8Array): BlockLocation {
    if (this.writeFd === undefined) throw new Error('block files are not open')
    const need = BLOCK_RECORD_HEADER_BYTES + bytes.length
    if (this.writeAt > 0 && this.writeAt + need > this.maxFileBytes) this.startNextFile()
    const path = join(this.dir, blockFileName(this.writeFile))
    const h = new DataView(this.header.buffer)
    h.setUint32(0, BLOCK_RECORD_MAGIC, true)
    h.setUint32(4, bytes.length, true)
    try {
      writeRecord(this.writeFd, this.header, bytes)
    } catch (err) {
      // (the file's end is read again at the next start; nothing records this block)
      throw new BlockFileError(path, 'write', (err as Error).message, err)
    }
    const loc = { file: this.writeFile, offset: this.writeAt + BLOCK_RECORD_HEADER_BYTES, length: bytes.length }
    this.writeAt += need
    this.appended++
    // started now, so it runs while the block's signatures are verified and
    // is done (or nearly) when the batch that records the block waits for it
    this.startSync()
    return loc
  }

  /** Whether blocks were appended that no finished sync covers. */
  get unsynced (): boolean {
    return this.synced < this.appended
  }

  /** Resolves once every block appended before the call is on disk (fdatasync; on the thread pool). */
  async sync (): Promise<void> {
    const target = this.appended
    while (this.synced < target) {
      if (this.syncFailure !== undefined) throw this.syncFailure
      this.startSync()
      await this.syncing
    }
  }

  /** Starts a sync of everything appended so far, unless one is running (sync() starts the next) or nothing is new. */
  private startSync (): void {
    if (this.syncing !== undefined || this.syncFailure !== undefined || this.synced >= this.appended) return
    const upTo = this.appended
    const fd = this.writeFd!
    const path = join(this.dir, blockFileName(this.writeFile))
    // never rejects: nobody may be waiting for it yet; sync() reports the failure
    this.syncing = fdatasync(fd).then(
      () => { this.synced = Math.max(this.synced, upTo) },
      err => { this.syncFailure ??= new BlockFileError(path, 'sync', (err as Error).message, err) }
    ).finally(() => { this.syncing = undefined })
  }

  /** The file being filled is full: synced and closed (rare: every 128 MiB), and the next one started. */
  private startNextFile (): void {
    const old = this.writeFd!
    const path = join(this.dir, blockFileName(this.writeFile))
    try {
      fs.fdatasyncSync(old)
      this.openForAppend(this.writeFile + 1)
      // a new name in the directory survives a power cut only once the directory is synced
      syncDirectory(this.dir)
    } catch (err) {
      throw new BlockFileError(path, 'write', `starting the next file: ${(err as Error).message}`, err)
    }
    // a sync in flight still uses the old descriptor
    const closeOld = (): void => { try { fs.closeSync(old) } catch {} }
    if (this.syncing !== undefined) this.syncing.then(closeOld, closeOld)
    else closeOld()
  }

  /** The bytes of the block at `loc`; throws BlockFileError when they cannot be read or the record does not match. */
  read (loc: BlockLocation): Uint8Array {
    const path = join(this.dir, blockFileName(loc.file))
    const start = loc.offset - BLOCK_RECORD_HEADER_BYTES
    if (start < 0) throw new BlockFileError(path, 'read', `a block cannot start at offset ${loc.offset}`)
    let fd: number
    try {
      fd = this.readFd(loc.file, path)
    } catch (err) {
      throw new BlockFileError(path, 'read', (err as Error).message, err)
    }
    // the record's header first: nothing is allocated for a length the file does not hold
    const header = readAt(fd, path, new Uint8Array(BLOCK_RECORD_HEADER_BYTES), start)
    const v = new DataView(header.buffer)
    if (header.length < BLOCK_RECORD_HEADER_BYTES) throw new BlockFileError(path, 'read', `the file ends before the block at offset ${loc.offset} (${loc.length} bytes): it is damaged`)
    if (v.getUint32(0, true) !== BLOCK_RECORD_MAGIC || v.getUint32(4, true) !== loc.length) {
      throw new BlockFileError(path, 'read', `no block record of ${loc.length} bytes at offset ${loc.offset}: the file is damaged`)
    }
    const bytes = readAt(fd, path, new Uint8Array(loc.length), loc.offset)
    if (bytes.length < loc.length) throw new BlockFileError(path, 'read', `the file ends before the block at offset ${loc.offset} (${loc.length} bytes): it is damaged`)
    return bytes
  }

  private readFd (file: number, path: string): number {
    const open = this.readFds.get(file)
    if (open !== undefined) return open
    if (this.readFds.size >= MAX_OPEN_READ_FILES) {
      // at most 16 entries: the first key is cheap to find
      const [oldest, fd] = this.readFds.entries().next().value!
      this.readFds.delete(oldest)
      fs.closeSync(fd)
    }
    const fd = fs.openSync(path, 'r')
    this.readFds.set(file, fd)
    return fd
  }

  /** Waits for a sync in flight, then closes every descriptor. */
  async close (): Promise<void> {
    await this.syncing?.catch(() => {})
    for (const fd of this.readFds.values()) { try { fs.closeSync(fd) } catch {} }
    this.readFds.clear()
    if (this.writeFd !== undefined) { try { fs.closeSync(this.writeFd) } catch {} }
    this.writeFd = undefined
  }
}

/** Reads `out.length` bytes at `position`; returns the part read (shorter at the file's end). */
function readAt (fd: number, path: string, out: Uint8Array, position: number): Uint8Array {
  let got = 0
  try {
    while (got < out.length) {
      const n = fs.readSync(fd, out, got, out.length - got, position + got)
      if (n === 0) break
      got += n
    }
  } catch (err) {
    throw new BlockFileError(path, 'read', (err as Error).message, err)
  }
  return got === out.length ? out : out.subarray(0, got)
}

/** The record header and the block in one system call (a short write's rest in more). */
function writeRecord (fd: number, header: Uint8Array, bytes: Uint8Array): void {
  let done = fs.writevSync(fd, [header, bytes])
  if (done < header.length) {
    writeAll(fd, header.subarray(done))
    done = header.length
  }
  writeAll(fd, bytes.subarray(done - header.length))
}

function writeAll (fd: number, bytes: Uint8Array): void {
  let done = 0
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done)
}

function syncDirectory (dir: string): void {
  let fd: number | undefined
  try {
    fd = fs.openSync(dir, 'r')
    fs.fsyncSync(fd)
  } catch {
    // some file systems cannot sync a directory; the files themselves are synced
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}
