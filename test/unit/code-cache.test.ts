// The daemon's V8 code cache (scripts/code-cache.mjs): used when it belongs
// to the script and this Node, rebuilt when stale, damaged or rejected, and
// never in the way of a start when it cannot be read or written.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import vm from 'node:vm'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { cacheKey, runCachedScript, writeCache } from '../../scripts/code-cache.mjs'
import { DAEMON_READY_EVENT } from '../../src/cli/commands/node.js'

const execFileAsync = promisify(execFile)
let dir: string
let events = 0
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'minicoin-code-cache-')) })
afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

interface Exports { value: number, file: string, dir: string, url: string, strict: boolean, sep: string, twice: (n: number) => number }

/** A script in the build's shape whose exports say what ran; `value` keeps its length whatever it is (two digits). */
function writeScript (value: number, name = 'script.js'): string {
  const file = join(dir, name)
  writeFileSync(file, `(function (exports, require, module, __filename, __dirname, importMetaUrl) { 'use strict';
  module.exports = { value: ${value}, file: __filename, dir: __dirname, url: importMetaUrl, strict: (function () { return this === undefined })(), sep: require('node:path').sep, twice: function (n) { return 2 * n } }
})`)
  return file
}

/** Runs the script as bin/minicoin.js does, announces the start, and waits for the cache write. */
async function start (file: string, options: { cacheFile?: string, enabled?: boolean } = {}): Promise<{ cache: string, exports: Exports, saved: boolean }> {
  const readyEvent = `code-cache-test-ready-${++events}`
  const run = runCachedScript(file, { ...options, readyEvent })
  expect((run.exports as Exports).twice(21)).toBe(42) // compiled lazily: its bytecode goes into the cache
  process.emit(readyEvent as 'beforeExit', 0)
  return { cache: run.cache, exports: run.exports as Exports, saved: await run.saved }
}

const cacheOf = (file: string): string => file.replace(/\.js$/, '.cache')
const leftovers = (): string[] => readdirSync(dir).filter(f => f.endsWith('.tmp'))

describe('code cache', () => {
  it('is written after the first start and used by the next, which runs the same program', async () => {
    const file = writeScript(42)
    const first = await start(file)
    expect(first).toMatchObject({ cache: 'missing', saved: true })
    expect(first.exports).toMatchObject({ value: 42, file, dir, url: pathToFileURL(file).href, strict: true, sep: '/' })
    expect(readFileSync(cacheOf(file)).subarray(0, 8).toString()).toBe('MCVMC001')
    const second = await start(file)
    expect(second).toMatchObject({ cache: 'used', saved: false })
    expect(second.exports).toMatchObject({ value: 42, file, strict: true })
    expect(leftovers()).toEqual([])
  })

  it('the daemon announces its start with the event bin/minicoin.js waits for', () => {
    expect(DAEMON_READY_EVENT).toBe('minicoin:ready')
    expect(readFileSync(new URL('../../scripts/code-cache.mjs', import.meta.url), 'utf8')).toContain(`readyEvent = '${DAEMON_READY_EVENT}'`)
  })

  it('a rebuilt script of the same length runs its new code (V8 alone compares only the length)', async () => {
    const file = writeScript(42)
    await start(file)
    const oldCache = readFileSync(cacheOf(file))
    writeScript(43)
    // what V8 does with the old data for the new source of the same length
    const v8Alone = new vm.Script(readFileSync(file, 'latin1'), { cachedData: oldCache.subarray(72) })
    expect(v8Alone.cachedDataRejected).toBe(false)
    const rebuilt = await start(file)
    expect(rebuilt).toMatchObject({ cache: 'stale', saved: true })
    expect(rebuilt.exports.value).toBe(43)
    expect(await start(file)).toMatchObject({ cache: 'used', exports: { value: 43 } })
  })

  it('a damaged cache is never handed to V8: the start compiles the source and writes a good one', async () => {
    const file = writeScript(42)
    await start(file)
    const good = readFileSync(cacheOf(file))
    for (const at of [100, Math.floor(good.length / 2), good.length - 1]) {
      const bad = Buffer.from(good)
      bad[at] ^= 0x5a
      writeFileSync(cacheOf(file), bad)
      expect(await start(file)).toMatchObject({ cache: 'corrupt', saved: true, exports: { value: 42 } })
      expect(await start(file)).toMatchObject({ cache: 'used', exports: { value: 42 } })
    }
  })

  it('a truncated, empty or foreign file reads as corrupt', async () => {
    const file = writeScript(42)
    await start(file)
    const good = readFileSync(cacheOf(file))
    for (const bad of [good.subarray(0, good.length - 10), good.subarray(0, 72), good.subarray(0, 20), Buffer.alloc(0), Buffer.from('{"not":"a cache"}')]) {
      writeFileSync(cacheOf(file), bad)
      expect(await start(file)).toMatchObject({ cache: 'corrupt', saved: true, exports: { value: 42 } })
    }
  })

  it('data V8 rejects (made for another source) is replaced', async () => {
    const other = writeScript(42, 'other.js')
    writeFileSync(other, readFileSync(other, 'utf8') + '\n// longer')
    await start(other)
    const otherData = readFileSync(cacheOf(other)).subarray(72)
    const file = writeScript(42)
    // a well-formed file with this script's key around the other script's data
    expect(writeCache(cacheOf(file), cacheKey(readFileSync(file)), otherData)).toBe(true)
    expect(await start(file)).toMatchObject({ cache: 'rejected', saved: true, exports: { value: 42 } })
    expect(await start(file)).toMatchObject({ cache: 'used' })
  })

  it('starts without one when the cache cannot be written, and leaves nothing behind', async () => {
    const file = writeScript(42)
    for (const cacheFile of [join(dir, 'no-such-dir', 'x.cache'), join(file, 'x.cache'), join(dir, 'a-dir')]) {
      mkdirSync(join(dir, 'a-dir'), { recursive: true })
      expect(await start(file, { cacheFile })).toMatchObject({ cache: 'missing', saved: false, exports: { value: 42 } })
      expect(leftovers()).toEqual([])
    }
  })

  it('the daemon\'s own V8 flag (heap growth) is set before the script compiles, so the next start uses the cache that start wrote', async () => {
    // each start in a fresh process, as a daemon starts: the flag stays set within one process
    const file = writeScript(42)
    const daemonStart = async (): Promise<string> => {
      const code = `const { runDaemonScript } = await import(${JSON.stringify(new URL('../../scripts/daemon-script.mjs', import.meta.url).href)})
const run = runDaemonScript(${JSON.stringify(file)}, { env: {}, readyEvent: 'ready' })
process.emit('ready')
await run.saved
process.stdout.write(run.cache)`
      const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', code])
      return stdout
    }
    expect(await daemonStart()).toBe('missing')
    expect(await daemonStart()).toBe('used') // 'rejected' when the flag was set after compiling
    expect(await daemonStart()).toBe('used')
  })

  it('MINICOIN_CODE_CACHE=0 (enabled: false) neither reads nor writes it', async () => {
    const file = writeScript(42)
    expect(await start(file, { enabled: false })).toMatchObject({ cache: 'off', saved: false, exports: { value: 42 } })
    expect(readdirSync(dir)).toEqual(['script.js'])
  })
})
