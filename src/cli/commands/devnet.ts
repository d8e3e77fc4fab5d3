// `minicoin devnet`: a miner, a full node and an SPV node on this machine,
// loopback only (no mDNS), until Ctrl-C. The full and SPV nodes bootstrap
// from the miner; all data lives in a temporary directory removed at the end.
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { COMMON_OPTIONS, expectPositionals, parse, wantsHelp } from '../args.js'
import { DevnetChild, loopbackDialAddress, stopChildren } from '../devnet.js'
import { CliError } from '../errors.js'
import type { CliIo } from '../io.js'
import { BIN_PATH, CONFIG_DIR } from '../paths.js'
import { ROLES } from '../../node/config.js'
import { onStopSignals, signalExitCode } from '../signals.js'

export const DEVNET_HELP = `Usage: minicoin devnet [--data-dir <dir>]

Starts a miner, a full node and an SPV node on this machine (devnet, loopback
only, no mDNS, ephemeral ports), prints their dashboard URLs and runs until
Ctrl-C (or SIGTERM, or SIGHUP when the terminal closes), which stops all
three. The nodes also stop by themselves if this process dies. The full and SPV nodes bootstrap from the
miner. If a node dies, the others are stopped too and the exit status is 1.
Another Ctrl-C (a second or more after the first) kills the nodes at once.

Options:
  --data-dir <dir>   keep the nodes' data in <dir>/miner, <dir>/full, <dir>/spv
                     (default: a temporary directory, removed at the end)
  -h, --help         this help
`

export interface DevnetDeps {
  /** What runs a daemon: process.execPath + this + ['node', ...flags]. Default: bin/minicoin.js. */
  daemonCommand?: string[]
  configDir?: string
  readyTimeoutMs?: number
  stopTimeoutMs?: number
}


class StopRequested extends Error {}

export async function runDevnet (argv: string[], io: CliIo, deps: DevnetDeps = {}): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(DEVNET_HELP)
    return 0
  }
  const { values, positionals } = parse('devnet', argv, { ...COMMON_OPTIONS, 'data-dir': { type: 'string' } })
  expectPositionals(positionals, [], 'devnet')
  const keep = values['data-dir'] !== undefined
  const base = keep ? resolve(io.cwd, values['data-dir'] as string) : await mkdtemp(join(tmpdir(), 'minicoin-devnet-'))
  const readyTimeoutMs = deps.readyTimeoutMs ?? 120_000
  const stopTimeoutMs = deps.stopTimeoutMs ?? 30_000
  // MALLOC_ARENA_MAX=2, as the systemd unit sets it: glibc reads it only at a
  // process's start, and without it the nodes' threads keep ~45 MiB in
  // per-thread malloc arenas (README, Memory). One the user set wins.
  const env = { MALLOC_ARENA_MAX: '2', ...io.env, ...(process.stderr.isTTY === true ? { MINICOIN_LOG_PRETTY: '1' } : {}) }
  const children: DevnetChild[] = []

  const stop = new AbortController()
  const disposeSignals = onStopSignals(
    (signal) => {
      io.err(`minicoin devnet: ${signal}, stopping the nodes…`)
      stop.abort(new StopRequested())
    },
    (signal) => {
      io.err('minicoin devnet: second signal, killing the nodes')
      for (const c of children) c.kill('SIGKILL')
      if (!keep) rmSync(base, { recursive: true, force: true })
      process.exit(signalExitCode(signal))
    })

  const start = (role: typeof ROLES[number], extra: string[]): DevnetChild => {
    const dataDir = join(base, role)
    const command = [...(deps.daemonCommand ?? [BIN_PATH]), 'node', '--config', join(deps.configDir ?? CONFIG_DIR, `${role}.json`),
      '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--api-port', '0', '--no-mdns', ...extra]
    const child = new DevnetChild(role, dataDir, command, io, env)
    children.push(child)
    return child
  }

  let code = 0
  try {
    const miner = start('miner', [])
    const minerInfo = await miner.ready(readyTimeoutMs, stop.signal)
    const bootstrap = loopbackDialAddress(minerInfo)
    const others = [start('full', ['--bootstrap', bootstrap]), start('spv', ['--bootstrap', bootstrap])]
    const infos = [minerInfo, ...await Promise.all(others.map(async c => await c.ready(readyTimeoutMs, stop.signal)))]

    io.out(`minicoin devnet is running (data in ${base}${keep ? '' : ', removed at the end'}):`)
    for (const [i, info] of infos.entries()) io.out(`  ${ROLES[i].padEnd(5)}  ${info.api}/`)
    io.out(`The dashboards' Unlock asks for a node's API token: the file <role>/.cookie in ${base}`)
    io.out('Press Ctrl-C to stop.')

    const stopped = new Promise<'stop'>(resolve => stop.signal.addEventListener('abort', () => resolve('stop'), { once: true }))
    const outcome = await Promise.race([stopped, ...children.map(async c => { const exit = await c.exited; return { child: c, exit } })])
    if (outcome !== 'stop') {
      io.err(`minicoin devnet: the ${outcome.child.role} node exited unexpectedly (${outcome.child.describeExit(outcome.exit)}); stopping the others`)
      code = 1
    }
  } catch (err) {
    if (!(err instanceof StopRequested)) {
      io.err(`minicoin devnet: ${err instanceof CliError ? err.message : (err as Error)?.message ?? String(err)}`)
      code = 1
    }
  } finally {
    await stopChildren(children, stopTimeoutMs)
    for (const c of children) {
      const exit = await c.exited
      if (exit.code !== 0 && code === 0) {
        io.err(`minicoin devnet: the ${c.role} node did not stop cleanly (${c.describeExit(exit)})`)
        code = 1
      }
    }
    if (!keep) await rm(base, { recursive: true, force: true })
    disposeSignals()
  }
  return code
}
