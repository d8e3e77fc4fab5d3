// The daemon's bound on the main isolate's new space (src/cli/heap-growth.mjs,
// boundNewSpace): in force in a daemon started as bin/minicoin.js starts it
// (scripts/daemon-script.mjs), and the code cache that start writes is used
// by the next one although the bound changed a V8 flag in between.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mayDouble, NEW_SPACE_MIB } from '../../src/cli/heap-growth.mjs'

const execFileAsync = promisify(execFile)
const MiB = 2 ** 20
let dir: string
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'minicoin-new-space-')) })
afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

/**
 * A script in the build's shape whose churn() allocates as a syncing node
 * does (a few MiB survive each collection): one long synchronous stretch
 * (where nothing on the event loop can look at the new space), then one
 * slice per turn of the event loop; returns the largest new space V8
 * reported (both semi-spaces).
 */
function writeChurnScript (): string {
  const file = join(dir, 'script.js')
  writeFileSync(file, `(function (exports, require, module, __filename, __dirname, importMetaUrl) { 'use strict';
  const v8 = require('node:v8')
  const newSpace = function () { return v8.getHeapSpaceStatistics().find(function (s) { return s.space_name === 'new_space' }).space_size }
  module.exports = { churn: async function () {
    let keep = []
    let max = 0
    for (let i = 0; i < 2e6; i++) { keep.push({ a: i, b: [i] }); if (keep.length > 300000) keep = [] }
    max = newSpace()
    for (let round = 0; round < 1500; round++) {
      for (let i = 0; i < 2000; i++) { keep.push({ a: i, b: [i, round] }); if (keep.length > 150000) keep = [] }
      max = Math.max(max, newSpace())
      await new Promise(function (resolve) { setImmediate(resolve) })
    }
    return max
  } }
})`)
  return file
}

/** One daemon start in a fresh process: the script churns, then the start says it is ready and the cache is written. */
async function daemonStart (file: string, env: Record<string, string> = {}): Promise<{ cache: string, maxNewSpace: number }> {
  const code = `const { runDaemonScript } = await import(${JSON.stringify(new URL('../../scripts/daemon-script.mjs', import.meta.url).href)})
const run = runDaemonScript(${JSON.stringify(file)}, { env: ${JSON.stringify(env)}, readyEvent: 'ready' })
const maxNewSpace = await run.exports.churn()
process.emit('ready')
await run.saved
process.stdout.write(JSON.stringify({ cache: run.cache, maxNewSpace }))`
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', code], { env: { PATH: process.env.PATH } })
  return JSON.parse(stdout)
}

describe('the daemon\'s new-space bound', () => {
  it('doubles while that stays within the bound, then stops', () => {
    const limit = (NEW_SPACE_MIB / 2) * MiB
    expect(mayDouble(1 * MiB, limit)).toBe(true)
    expect(mayDouble(4 * MiB, limit)).toBe(true)
    expect(mayDouble(8 * MiB, limit)).toBe(false)
    expect(mayDouble(5 * MiB, limit)).toBe(false) // after a shrink to whole pages: no doubling past the bound
  })

  it('grows a started daemon\'s new space to 16 MiB and no further, and the next start uses the code cache the first wrote', async () => {
    const file = writeChurnScript()
    const first = await daemonStart(file)
    expect(first.cache).toBe('missing')
    expect(first.maxNewSpace).toBe(NEW_SPACE_MIB * MiB)
    const second = await daemonStart(file)
    expect(second.cache).toBe('used') // 'rejected' when the cache is made under the bound's flag
    expect(second.maxNewSpace).toBe(NEW_SPACE_MIB * MiB)
    expect(NEW_SPACE_MIB).toBe(16)
  })

  it('MINICOIN_NEW_SPACE_MIB=0 leaves V8 its own sizes: the same churn takes the new space past the bound', async () => {
    const file = writeChurnScript()
    expect((await daemonStart(file, { MINICOIN_NEW_SPACE_MIB: '0' })).maxNewSpace).toBeGreaterThan(NEW_SPACE_MIB * MiB)
  })
})
