// Block bytes in flat files (block-files.ts) and the chain over them: what
// is appended reads back, across file boundaries and restarts; a damaged
// file is a clear storage error, never a wrong block; a crash's leftover
// bytes are skipped; the files are synced before the database records a
// block; databases written before the block files still read their blocks.
import fs, { appendFileSync, readdirSync, truncateSync, writeFileSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { BlockFileError, BlockFiles, blockFileName, BLOCK_RECORD_HEADER_BYTES, decodeBlockLocation, encodeBlockLocation, type BlockLocation } from '../../src/chain/block-files.js'
import { Chain } from '../../src/chain/chain.js'
import { key, Prefix } from '../../src/chain/db-layout.js'
import { ChainStore, StorageError } from '../../src/chain/store.js'
import { blockHash } from '../../src/core/block.js'
import { encodeBlock } from '../../src/core/encoding.js'
import { regtest } from '../../src/core/params.js'
import type { Block } from '../../src/core/types.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { genesisTip, mineChain, newKey, tempDir } from '../../bench/support/chain-fixtures.js'

let dir: ReturnType<typeof tempDir>
beforeEach(() => { dir = tempDir('minicoin-block-files-') })
afterEach(() => {
  vi.restoreAllMocks()
  dir.remove()
})

/** fs.fdatasync failing with EIO from now on. */
function failingSync (): void {
  vi.spyOn(fs, 'fdatasync').mockImplementation(((_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    setImmediate(() => { cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })) })
  }) as typeof fs.fdatasync)
}

/** The bytes alone (a Buffer and a Uint8Array of the same bytes differ to toEqual). */
function u8 (b: Uint8Array | undefined): Uint8Array | undefined {
  return b === undefined ? undefined : new Uint8Array(b)
}

function bytesOf (n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 7) & 0xff
  return b
}

describe('block files', () => {
  it('reads back what was appended, across file boundaries and a reopen, and continues after the last record', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 39 }), async (sizes, reopenAt) => {
      const d = tempDir('minicoin-block-files-prop-')
      try {
        let files = new BlockFiles(d.path, 1024)
        files.open()
        const written: Array<{ loc: BlockLocation, bytes: Uint8Array }> = []
        for (let i = 0; i < sizes.length; i++) {
          if (i === reopenAt) {
            await files.close()
            files = new BlockFiles(d.path, 1024)
            files.open()
          }
          const bytes = bytesOf(sizes[i], i)
          written.push({ loc: files.append(bytes), bytes })
        }
        for (const w of written) {
          expect(w.loc.offset + w.loc.length).toBeLessThanOrEqual(Math.max(1024, BLOCK_RECORD_HEADER_BYTES + w.loc.length))
          expect(files.read(w.loc)).toEqual(w.bytes)
        }
        // a record never straddles two files, and no two overlap
        const byFile = new Map<number, BlockLocation[]>()
        for (const w of written) byFile.set(w.loc.file, [...(byFile.get(w.loc.file) ?? []), w.loc])
        for (const locs of byFile.values()) {
          for (let i = 1; i < locs.length; i++) expect(locs[i].offset).toBe(locs[i - 1].offset + locs[i - 1].length + BLOCK_RECORD_HEADER_BYTES)
        }
        await files.close()
      } finally {
        d.remove()
      }
    }), { numRuns: 40 })
  })

  it('starts a new file only when the next record would not fit, and a block larger than a file gets one of its own', async () => {
    const files = new BlockFiles(dir.path, 100)
    files.open()
    const a = files.append(bytesOf(40, 1)) // 48 bytes
    const b = files.append(bytesOf(40, 2)) // 96
    const c = files.append(bytesOf(40, 3)) // would be 144: next file
    const big = files.append(bytesOf(300, 4)) // a file of its own
    const d = files.append(bytesOf(10, 5))
    expect([a.file, b.file, c.file, big.file, d.file]).toEqual([0, 0, 1, 2, 3])
    expect(files.read(big)).toEqual(bytesOf(300, 4))
    expect(readdirSync(dir.path).sort()).toEqual([0, 1, 2, 3].map(blockFileName))
    await files.close()
  })

  it('skips what a crash left past the last record: new blocks go after it and old ones still read', async () => {
    let files = new BlockFiles(dir.path)
    files.open()
    const first = files.append(bytesOf(500, 1))
    await files.close()
    // half a record: a crash in the middle of an append
    appendFileSync(join(dir.path, blockFileName(0)), bytesOf(123, 9))
    files = new BlockFiles(dir.path)
    files.open()
    const second = files.append(bytesOf(200, 2))
    expect(second.offset).toBe(first.offset + 500 + 123 + BLOCK_RECORD_HEADER_BYTES)
    expect(files.read(first)).toEqual(bytesOf(500, 1))
    expect(files.read(second)).toEqual(bytesOf(200, 2))
    await files.close()
  })

  it('refuses a damaged record with a specific error instead of returning wrong bytes', async () => {
    const files = new BlockFiles(dir.path)
    files.open()
    const loc = files.append(bytesOf(300, 1))
    files.append(bytesOf(300, 2))
    const path = join(dir.path, blockFileName(0))
    // a position that is not a record's start
    expect(() => files.read({ ...loc, offset: loc.offset + 4 })).toThrow(/no block record of 300 bytes at offset 12: the file is damaged/)
    // a length that is not the record's
    expect(() => files.read({ ...loc, length: 299 })).toThrow(BlockFileError)
    expect(u8(files.read(loc))).toEqual(bytesOf(300, 1))
    // a length no record has (a damaged database): refused before anything of that size is allocated
    expect(() => files.read({ ...loc, length: 0xffffffff })).toThrow(/no block record of 4294967295 bytes at offset 8: the file is damaged/)
    // a position before any record
    expect(() => files.read({ ...loc, offset: 3 })).toThrow(/cannot start at offset 3/)
    // a file cut short
    truncateSync(path, 100)
    expect(() => files.read(loc)).toThrow(/ends before the block at offset 8 \(300 bytes\): it is damaged/)
    // a file that is gone
    expect(() => files.read({ ...loc, file: 7 })).toThrow(/ENOENT/)
    await files.close()
  })

  it('a sync covers every block appended before it was asked for, also while another sync is running', async () => {
    const files = new BlockFiles(dir.path)
    files.open()
    expect(files.unsynced).toBe(false)
    files.append(bytesOf(10, 1))
    expect(files.unsynced).toBe(true)
    const first = files.sync()
    files.append(bytesOf(10, 2))
    const second = files.sync()
    await first
    await second
    expect(files.unsynced).toBe(false)
    await files.close()
  })

  it('starts a sync as a block is appended, so the batch that records it seldom waits', async () => {
    const files = new BlockFiles(dir.path)
    files.open()
    const calls = vi.spyOn(fs, 'fdatasync')
    files.append(bytesOf(10, 1))
    expect(calls).toHaveBeenCalledTimes(1)
    // one running: the next append's sync waits for sync() (or the next append after it)
    files.append(bytesOf(10, 2))
    expect(calls).toHaveBeenCalledTimes(1)
    await files.sync()
    expect(calls).toHaveBeenCalledTimes(2)
    expect(files.unsynced).toBe(false)
    await files.close()
  })

  it('a failed sync is reported by every later sync(), never as an unhandled rejection', async () => {
    const files = new BlockFiles(dir.path)
    files.open()
    failingSync()
    files.append(bytesOf(10, 1))
    // the sync started by the append fails with nobody waiting for it yet
    await new Promise(resolve => setTimeout(resolve, 20))
    await expect(files.sync()).rejects.toThrow(/EIO/)
    vi.restoreAllMocks()
    files.append(bytesOf(10, 2))
    await expect(files.sync()).rejects.toBeInstanceOf(BlockFileError)
    await files.close()
  })

  it('encodes a location in 12 bytes and refuses another length', () => {
    const loc = { file: 3, offset: 0x01020304, length: 77 }
    expect(decodeBlockLocation(encodeBlockLocation(loc))).toEqual(loc)
    expect(() => decodeBlockLocation(new Uint8Array(11))).toThrow(/12 bytes, not 11/)
  })
})

describe('the chain over block files', () => {
  function storeOf (c: Chain): ChainStore {
    return (c as unknown as { store: ChainStore }).store
  }

  async function openChain (): Promise<Chain> {
    return await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
  }

  /** A chain in `dir` with `n` mined blocks connected, and those blocks. */
  async function chainWithBlocks (n: number): Promise<{ chain: Chain, blocks: Block[] }> {
    const { blocks } = mineChain(genesisTip(), n, newKey())
    const chain = await openChain()
    for (const b of blocks) await chain.processBlock(b)
    return { chain, blocks }
  }

  it('keeps block bytes in <location>/blocks, not in the database, and reads them after a reopen', async () => {
    const { blocks } = mineChain(genesisTip(), 5, newKey())
    let chain = await openChain()
    for (const b of blocks) await chain.processBlock(b)
    const store = storeOf(chain)
    for (const b of blocks) expect(store.get(key(Prefix.block, blockHash(b.header)))).toBeUndefined()
    await chain.close()
    const file = join(dir.path, 'blocks', blockFileName(0))
    // genesis and the five blocks, each after its record header
    expect(statSync(file).size).toBe([regtest.genesis, ...blocks].reduce((n, b) => n + BLOCK_RECORD_HEADER_BYTES + encodeBlock(b).length, 0))
    chain = await openChain()
    try {
      for (const b of [regtest.genesis, ...blocks]) expect(u8(chain.getBlockBytes(blockHash(b.header)))).toEqual(u8(encodeBlock(b)))
    } finally {
      await chain.close()
    }
  })

  it('syncs the block files before a batch records where a block is', async () => {
    const { blocks } = mineChain(genesisTip(), 3, newKey())
    const chain = await openChain()
    try {
      const store = storeOf(chain)
      const files = store.blocks!
      const sync = files.sync.bind(files)
      const seen: boolean[] = []
      let hash: Uint8Array = new Uint8Array()
      files.sync = async () => {
        seen.push(store.get(key(Prefix.blockFile, hash)) !== undefined)
        await sync()
      }
      for (const b of blocks) {
        hash = blockHash(b.header)
        await chain.processBlock(b)
        expect(store.get(key(Prefix.blockFile, hash))).toBeDefined()
        expect(files.unsynced).toBe(false)
      }
      // once per block, each time before its record existed
      expect(seen).toEqual([false, false, false])
    } finally {
      await chain.close()
    }
  })

  it('a failed sync of the block files stops the node before the block is recorded', async () => {
    const { blocks } = mineChain(genesisTip(), 2, newKey())
    const chain = await openChain()
    const failures: StorageError[] = []
    chain.on('storageError', err => failures.push(err))
    try {
      await chain.processBlock(blocks[0])
      failingSync()
      await expect(chain.processBlock(blocks[1])).rejects.toThrow(/^block files sync failed at .*blk00000\.dat: EIO/)
      expect(chain.height).toBe(1)
      expect(storeOf(chain).get(key(Prefix.blockFile, blockHash(blocks[1].header)))).toBeUndefined()
      expect(failures).toHaveLength(1)
    } finally {
      await chain.close()
    }
  })

  it('reads a block a database stored inline before the block files existed', async () => {
    const opened = await chainWithBlocks(2)
    const blocks = opened.blocks
    let chain = opened.chain
    // as an older version left it: the bytes under 'b', no location
    const hash = blockHash(blocks[1].header)
    await storeOf(chain).write([
      { type: 'del', key: key(Prefix.blockFile, hash) },
      { type: 'put', key: key(Prefix.block, hash), value: encodeBlock(blocks[1]) }
    ])
    await chain.close()
    // emptied: what is read now can only come from the database
    writeFileSync(join(dir.path, 'blocks', blockFileName(0)), new Uint8Array(0))
    chain = await openChain()
    try {
      expect(chain.getBlockBytes(hash)).toEqual(encodeBlock(blocks[1]))
      expect(chain.getBlock(hash)?.header.nonce).toBe(blocks[1].header.nonce)
    } finally {
      await chain.close()
    }
  })

  it('a damaged block file is a storage error that stops the node, not a block that is missing or wrong', async () => {
    const opened = await chainWithBlocks(2)
    const blocks = opened.blocks
    let chain = opened.chain
    await chain.close()
    const file = join(dir.path, 'blocks', blockFileName(0))
    const bytes = readFileSync(file)
    // the last block's record header overwritten
    const last = bytes.length - encodeBlock(blocks[1]).length - BLOCK_RECORD_HEADER_BYTES
    bytes.fill(0, last, last + 4)
    writeFileSync(file, bytes)
    chain = await openChain()
    const failures: StorageError[] = []
    chain.on('storageError', err => failures.push(err))
    try {
      expect(u8(chain.getBlockBytes(blockHash(blocks[0].header)))).toEqual(u8(encodeBlock(blocks[0])))
      let thrown: unknown
      try { chain.getBlockBytes(blockHash(blocks[1].header)) } catch (err) { thrown = err }
      expect(thrown).toBeInstanceOf(StorageError)
      expect((thrown as Error).message).toMatch(/^block files read failed at .*blk00000\.dat: no block record of \d+ bytes at offset \d+: the file is damaged/)
      expect(failures).toEqual([thrown])
    } finally {
      await chain.close()
    }
  })
})
