// LevelDB raises max_open_files to a floor of its own (SanitizeOptions in
// db_impl.cc); below it the option does nothing (32 and 16 held the same 64
// tables open: BENCHMARKS.md, issue 12 session 10). CHAIN_DB_OPTIONS states
// what LevelDB uses, read here from the LevelDB that classic-level builds.
// Tables are LevelDB's smallest (1 MiB, the floor of max_file_size): a
// compaction reads up to 25 of them through the mapped files, and those
// pages count in the node's RSS until it ends (BENCHMARKS.md, issue 12
// session 11: a syncing node's peak 216 → 193 MiB).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHAIN_DB_OPTIONS } from '../../src/chain/store.js'

function levelDbSource (): string {
  const root = dirname(createRequire(import.meta.url).resolve('classic-level/package.json'))
  return readFileSync(join(root, 'deps', 'leveldb', 'leveldb-1.20', 'db', 'db_impl.cc'), 'utf8')
}

describe('CHAIN_DB_OPTIONS', () => {
  it("asks for the open files LevelDB actually keeps (not fewer: it would raise them)", () => {
    const source = levelDbSource()
    const reserved = Number(/kNumNonTableCacheFiles = (\d+);/.exec(source)?.[1])
    const clip = /ClipToRange\(&result\.max_open_files,\s*(\d+) \+ kNumNonTableCacheFiles,/.exec(source)
    expect(clip, 'the max_open_files floor in LevelDB\'s SanitizeOptions').not.toBeNull()
    const floor = Number(clip?.[1]) + reserved
    expect(floor).toBe(74)
    expect(CHAIN_DB_OPTIONS.maxOpenFiles).toBe(floor)
  })

  it('asks for the smallest tables LevelDB makes', () => {
    const clip = /ClipToRange\(&result\.max_file_size,\s*1<<(\d+),/.exec(levelDbSource())
    expect(clip, 'the max_file_size floor in LevelDB\'s SanitizeOptions').not.toBeNull()
    expect(CHAIN_DB_OPTIONS.maxFileSize).toBe(2 ** Number(clip?.[1]))
  })
})
