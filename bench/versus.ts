// npm run bench:versus [N]: minicoin and bcoin side by side on the same
// workload, on this machine, one after the other (issue 12.6): N one-input
// transactions signed elsewhere, submitted through each node's API serially
// (the first half) and all at once (the second half), each counted once the
// node has accepted it, then one block connecting all of them. minicoin's side
// is bench/api-submit.bench.ts against a real daemon; bcoin's is the scripts
// in ../shared/bench/bcoin (its RPC, polled until its mempool holds them).
// Without a bcoin build it says how to get one and exits 0.
import '../src/polyfill.js'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { benches, WARM } from './api-submit.bench.js'
import { emit, round, type BenchResult } from './harness.js'
import { waitForPortsReleased } from './support/time-wait.js'

const REPO = new URL('..', import.meta.url).pathname
const N = Number(process.argv[2] ?? 1000)
const BCOIN_CLIENT = join(REPO, 'bench', 'bcoin', 'rpc-bench-warm.mjs')
const BCOIN_DIR = process.env.BCOIN_DIR ?? '/tmp/bcoin'
// the ports bench.sh gives bcoin: p2p, RPC, wallet RPC
const BCOIN_PORTS = [48444, 48332, 48334]
const SCRIPT_DIRS = [process.env.BCOIN_BENCH_SCRIPTS, resolve(REPO, '../shared/bench/bcoin'), '/work/shared/bench/bcoin'].filter((d): d is string => d !== undefined)

function scriptsDir (): string | undefined {
  return SCRIPT_DIRS.find(d => existsSync(join(d, 'bench.sh')))
}

/** bcoin is built when both native modules it needs were compiled. */
function bcoinBuilt (): boolean {
  const built = (m: string): boolean => {
    const dir = join(BCOIN_DIR, 'node_modules', m, 'build', 'Release')
    return existsSync(dir) && readdirSync(dir).some(f => f.endsWith('.node'))
  }
  return existsSync(join(BCOIN_DIR, 'bin', 'node')) && built('bcrypto') && built('bdb')
}

function howToGetBcoin (scripts: string | undefined): string {
  return [
    'bench:versus: no bcoin build found, so there is nothing to compare with; nothing was run.',
    `  looked for bcoin in ${BCOIN_DIR} (set BCOIN_DIR to change) and for its bench scripts in ${SCRIPT_DIRS.join(', ')}`,
    '  to get bcoin 2.2 and build it (no network needed besides fetching its repository; it ships its dependencies):',
    '    1. fetch github:bcoin-org/bcoin (a git clone or the fetch tool gives a git directory)',
    `    2. ${scripts ?? '<shared>/bench/bcoin'}/build.sh <that git dir>   (clones to ${BCOIN_DIR}, compiles bcrypto and bdb)`,
    '    3. npm run bench:versus'
  ].join('\n')
}

/** Runs bcoin's side; resolves with its output. */
async function runBcoin (scripts: string): Promise<string> {
  return await new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [join(scripts, 'bench.sh'), String(N)], { env: { ...process.env, BCOIN_DIR, BENCH: BCOIN_CLIENT, WARM: String(WARM) }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); process.stderr.write(c) })
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); process.stderr.write(c) })
    child.once('error', reject)
    child.once('exit', code => code === 0 ? resolvePromise(out) : reject(new Error(`bcoin bench exited with ${code}:\n${out}`)))
  })
}

function figure (out: string, pattern: RegExp, what: string): number {
  const m = out.match(pattern)
  if (m === null) throw new Error(`no "${what}" line in bcoin's output`)
  return Number(m[1])
}

const scripts = scriptsDir()
if (scripts === undefined || !bcoinBuilt()) {
  process.stdout.write(howToGetBcoin(scripts) + '\n')
  process.exit(0)
}

process.stderr.write(`load average before: ${loadavg().map(l => l.toFixed(2)).join(' ')} (2 cores shared; figures are from one run)\n`)
process.env.MINICOIN_BENCH_API_N = String(N)
const mine = await benches[0].run()
const value = (name: string): number => (mine.find(r => r.bench === name) as BenchResult).value
process.stderr.write(`minicoin done; load average ${loadavg()[0].toFixed(2)}; now bcoin\n`)
// minicoin's half leaves its closed client connections in TIME-WAIT; one on
// a port of bcoin's would make bcoin's start fail (support/time-wait.ts)
const released = Date.now()
await waitForPortsReleased(BCOIN_PORTS)
if (Date.now() - released > 1000) process.stderr.write(`waited ${round((Date.now() - released) / 1000, 1)} s for a closed connection to release one of bcoin's ports\n`)
const out = await runBcoin(scripts)
const bcoin = {
  serial: figure(out, /serial incl\. mempool acceptance:.*= (\d+) tx\/s/, 'serial incl. mempool acceptance'),
  concurrent: figure(out, /concurrent incl\. mempool acceptance:.*= (\d+) tx\/s/, 'concurrent incl. mempool acceptance'),
  blockMs: figure(out, /mine\+connect block of \d+ txs: (\d+) ms/, 'mine+connect')
}
const rows: Array<[string, number, number, string, number]> = [
  ['serial submission, accepted', value('api_tx_serial'), bcoin.serial, 'tx/s', value('api_tx_serial') / bcoin.serial],
  ['concurrent submission, accepted', value('api_tx_concurrent'), bcoin.concurrent, 'tx/s', value('api_tx_concurrent') / bcoin.concurrent],
  [`mine + connect a block of ${WARM + N}`, value('api_mine_connect_block'), bcoin.blockMs, 'ms', bcoin.blockMs / value('api_mine_connect_block')]
]
process.stdout.write(`\nN = ${N} after ${WARM} untimed submissions on each node, load average after: ${loadavg().map(l => l.toFixed(2)).join(' ')}\n`)
process.stdout.write('| workload | minicoin | bcoin 2.2 | minicoin ahead by |\n| --- | --- | --- | --- |\n')
for (const [name, m, b, unit, ratio] of rows) process.stdout.write(`| ${name} | ${round(m)} ${unit} | ${round(b)} ${unit} | ${round(ratio, 2)}x |\n`)
emit({ bench: 'versus_serial', value: round(rows[0][4], 2), unit: 'x', minicoin: rows[0][1], bcoin: rows[0][2], warm_up_submissions: WARM, mark: '>= 2' })
emit({ bench: 'versus_concurrent', value: round(rows[1][4], 2), unit: 'x', minicoin: rows[1][1], bcoin: rows[1][2], mark: '>= 3' })
emit({ bench: 'versus_block', value: round(rows[2][4], 2), unit: 'x', minicoin_ms: rows[2][1], bcoin_ms: rows[2][2], note: "bcoin's connect also runs its wallet" })
process.exit()
