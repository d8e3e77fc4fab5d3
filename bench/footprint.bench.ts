// Footprint of the real `minicoin` command: CPU to start a regtest node with
// an empty chain (until its node.json says it is ready), its RSS after a few
// seconds idle, per role, and the CPU of one CLI call. Each from the compiled
// build (dist/) and from the TypeScript sources through tsx, in the same run,
// next to `node -e 0` (the floor no start can go below on this machine now).
// Linux only: reads /proc.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { buildState } from '../scripts/build-state.mjs'
import { NativeVerifierPool } from '../src/crypto/native-verifier.js'
import { NonceSearch } from '../src/miner/nonce-search.js'
import { type Bench, type BenchResult, round } from './harness.js'
import { BIN, readyDaemon, run, writeConfig } from './support/daemons.js'
import { Cleanup } from './support/nodes.js'
import { processCpuSeconds, REPO, stopProcess, TICKS_PER_S } from './support/process.js'

const execFileAsync = promisify(execFile)
const IDLE_MS = 5000
const RUNS = 3

type Source = 'dist' | 'tsx'
const SOURCE_ENV: Record<Source, NodeJS.ProcessEnv> = { dist: {}, tsx: { MINICOIN_FROM_SOURCE: '1' } }

function rssMiB (pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith(field + ':'))
  return Number(line?.split(/\s+/)[1]) / 1024
}

/** CPU seconds of a command that runs to its end: a shell reads its waited children's time (cutime + cstime). */
async function commandCpu (command: string): Promise<number> {
  const { stdout } = await execFileAsync('sh', ['-c', `${command} >/dev/null 2>&1; cat /proc/$$/stat`], { cwd: REPO })
  const fields = stdout.split(') ')[1].split(' ')
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_S
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

interface StartSample { cpu: number, rss: number, restartCpu: number }

async function startOnce (role: 'miner' | 'full' | 'spv', source: Source): Promise<StartSample> {
  const cleanup = new Cleanup()
  try {
    const dir = cleanup.tempDir()
    // A miner mines (one nonce thread): its footprint includes the nonce workers.
    const config = writeConfig(dir, role, role === 'miner' ? { mining: { enabled: true, threads: 1 } } : {})
    const proc = run(['node', '--config', config], cleanup, SOURCE_ENV[source])
    await readyDaemon(proc, join(dir, 'data'))
    const pid = proc.child.pid as number
    const cpu = processCpuSeconds(pid)
    await new Promise(resolve => setTimeout(resolve, IDLE_MS)) // the figure is "RSS after IDLE_MS idle"
    const rss = rssMiB(pid)
    // The first start also creates the wallet and the p2p key; later ones open them.
    await stopProcess(proc)
    const again = run(['node', '--config', config], cleanup, SOURCE_ENV[source])
    await readyDaemon(again, join(dir, 'data'))
    return { cpu, rss, restartCpu: processCpuSeconds(again.child.pid as number) }
  } finally {
    await cleanup.run()
  }
}

async function startFigures (): Promise<BenchResult[]> {
  const state = buildState(new URL('../', import.meta.url))
  if (state !== 'current') throw new Error(`dist/ is ${state}: run \`npm run build\` first, or the "dist" figures would be tsx's`)
  const floor: number[] = []
  for (let i = 0; i < RUNS; i++) floor.push(await commandCpu(`"${process.execPath}" -e 0`))
  const floorCpu = round(median(floor), 2)
  const out: BenchResult[] = []
  const tsxFull: StartSample[] = []
  for (let i = 0; i < RUNS; i++) tsxFull.push(await startOnce('full', 'tsx'))
  const tsxCpu = round(median(tsxFull.map(s => s.cpu)), 2)
  const tsxRestart = round(median(tsxFull.map(s => s.restartCpu)), 2)
  const tsxRss = round(median(tsxFull.map(s => s.rss)))
  for (const role of ['full', 'miner', 'spv'] as const) {
    const samples: StartSample[] = []
    for (let i = 0; i < RUNS; i++) samples.push(await startOnce(role, 'dist'))
    const reference = `tsx sources, full node: ${tsxCpu} s CPU (restart ${tsxRestart} s), ${tsxRss} MiB; node -e 0: ${floorCpu} s (same run, median of ${RUNS})`
    out.push({ bench: `footprint_start_cpu_${role}`, value: round(median(samples.map(s => s.cpu)), 2), unit: 's', reference, mark: '<= 0.5', note: 'first start: creates the wallet and p2p key' })
    out.push({ bench: `footprint_restart_cpu_${role}`, value: round(median(samples.map(s => s.restartCpu)), 2), unit: 's', reference, mark: '<= 0.5' })
    out.push({ bench: `footprint_idle_rss_${role}`, value: round(median(samples.map(s => s.rss))), unit: 'MiB', reference, mark: '<= 100', idleMs: IDLE_MS })
  }
  return out
}

async function cliFigures (): Promise<BenchResult[]> {
  const out: BenchResult[] = []
  for (const args of ['--version', 'wallet --help']) {
    const cpu: Record<Source, number> = { dist: 0, tsx: 0 }
    for (const source of ['tsx', 'dist'] as const) {
      const env = source === 'tsx' ? 'MINICOIN_FROM_SOURCE=1 ' : ''
      const xs: number[] = []
      for (let i = 0; i < RUNS; i++) xs.push(await commandCpu(`${env}"${process.execPath}" "${BIN}" ${args}`))
      cpu[source] = round(median(xs), 2)
    }
    out.push({ bench: `footprint_cli_cpu_${args.split(' ')[0].replace(/^-+/, '')}`, value: cpu.dist, unit: 's', reference: `tsx sources: ${cpu.tsx} s (same run, median of ${RUNS})`, command: `minicoin ${args}` })
  }
  return out
}

/** What the worker pools add to a process: RSS and CPU of starting them, in this process. */
async function partFigures (): Promise<BenchResult[]> {
  const rss = (): number => process.memoryUsage().rss / 1048576
  const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }
  // the figure is "after SETTLE_MS": threads finish starting and the heap settles
  const settle = async (): Promise<void> => await new Promise(resolve => setTimeout(resolve, 1500))
  await settle()
  const r0 = rss()
  const c0 = cpu()
  const pool = await NativeVerifierPool.create({ threads: 2 })
  await settle()
  const r1 = rss()
  const c1 = cpu()
  await pool.close()
  await settle()
  const r2 = rss()
  const search = new NonceSearch({ threads: 1 })
  search.start()
  await settle()
  const r3 = rss()
  await search.stop()
  return [
    { bench: 'footprint_verify_workers_2_rss', value: round(r1 - r0), unit: 'MiB', cpuToStart: round(c1 - c0, 2), afterCloseMiB: round(r2 - r0), note: 'started by a full node with its first batch of >= 16 signatures, stopped after 60 s without one' },
    { bench: 'footprint_nonce_worker_rss', value: round(r3 - r2), unit: 'MiB', note: 'one per mining thread, only while mining' }
  ]
}

export const benches: Bench[] = [
  { name: 'footprint_parts', group: 'p2p', run: partFigures },
  { name: 'footprint_start', group: 'p2p', run: startFigures },
  { name: 'footprint_cli', group: 'p2p', run: cliFigures }
]
