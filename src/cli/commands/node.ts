// `minicoin node`: runs one daemon until SIGINT/SIGTERM. The first signal
// stops the API and the node cleanly (exit 0); a second one exits at once.
// Under `minicoin devnet` the parent holds an IPC channel: when it goes away
// (even killed), the daemon stops too instead of running on as an orphan.
import type { EventEmitter } from 'node:events'
import { ConfigError, loadConfig, type CliOverrides, type LoadedConfig } from '../../node/config.js'
import { LOG_LEVELS, createLogger, type Logger } from '../../telemetry/logger.js'
import { COMMON_OPTIONS, parse, parsePort, wantsHelp } from '../args.js'
import { boundHeapGrowth, boundNewSpace } from '../heap-growth.mjs'
import { startDaemon, type DaemonOptions, type RunningDaemon } from '../daemon.js'
import { CliError, EXIT_USAGE, UsageError } from '../errors.js'
import type { CliIo } from '../io.js'
import { webDir } from '../paths.js'
import { onStopSignals, signalExitCode } from '../signals.js'

/** Emitted on `process` once the daemon's API answers and node.json is written. */
export const DAEMON_READY_EVENT = 'minicoin:ready'

export const NODE_HELP = `Usage: minicoin node --config <file> [options]

Runs a node daemon (miner, full or SPV, as the config says) until Ctrl-C,
SIGTERM or SIGHUP (a closed terminal; under nohup SIGHUP stays ignored).
Flags override the config so several nodes can share one machine.

Options:
  --config <file>          the node's JSON config (config/miner.json, full.json, spv.json); required
  --data-dir <dir>         data directory (overrides dataDir)
  --host <ip>              address to listen on for peers, e.g. 127.0.0.1 for this machine
                           only or 0.0.0.0 for every interface (overrides p2p.host)
  --port <n>               libp2p TCP port; 0 = any free port (overrides p2p.port)
  --api-port <n>           HTTP API port; 0 = any free port (overrides api.port)
  --bootstrap <multiaddr>  a peer to dial, /ip4/<ip>/tcp/<port>/p2p/<peer id>; repeat for
                           more (replaces p2p.bootstrap)
  --no-mdns                no mDNS discovery (overrides p2p.mdns)
  --log-level <level>      debug, info, warn or error (overrides log.level)
  --debug                  debug logging, and stack traces with errors
  -h, --help               this help

While the node runs, <data-dir>/node.json tells 'minicoin status' and
'minicoin wallet' where its API is, and <data-dir>/.cookie holds the token its
POST endpoints require. Exit status: 0 after a clean stop, 1 on failure,
2 for a wrong command line or config file. Another Ctrl-C (a second or more
after the first) exits at once.
`

const OPTIONS = {
  ...COMMON_OPTIONS,
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'api-port': { type: 'string' },
  bootstrap: { type: 'string', multiple: true },
  'no-mdns': { type: 'boolean' },
  'log-level': { type: 'string' }
} as const

const SHUTDOWN_DEADLINE_MS = 20_000

export interface NodeCommandArgs { configPath: string, overrides: CliOverrides, debug: boolean }

export function parseNodeArgs (argv: string[]): NodeCommandArgs {
  const { values, positionals } = parse('node', argv, OPTIONS)
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, 'node')
  if (values.config === undefined) throw new UsageError('--config <file> is required (e.g. --config config/miner.json)', 'node')
  const overrides: CliOverrides = {}
  if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir']
  if (values.host !== undefined) overrides.host = values.host
  const port = parsePort(values.port, '--port', 'node')
  if (port !== undefined) overrides.port = port
  const apiPort = parsePort(values['api-port'], '--api-port', 'node')
  if (apiPort !== undefined) overrides.apiPort = apiPort
  if (values.bootstrap !== undefined) overrides.bootstrap = values.bootstrap
  if (values['no-mdns'] === true) overrides.mdns = false
  const level = values['log-level'] ?? (values.debug === true ? 'debug' : undefined)
  if (level !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level: expected ${LOG_LEVELS.slice(0, -1).join(', ')} or ${LOG_LEVELS[LOG_LEVELS.length - 1]}, got '${level}'`, 'node')
    overrides.logLevel = level as CliOverrides['logLevel']
  }
  return { configPath: values.config, overrides, debug: values.debug === true }
}

function prettyLogs (env: NodeJS.ProcessEnv): boolean | undefined {
  if (env.MINICOIN_LOG_PRETTY === '1') return true
  if (env.MINICOIN_LOG_PRETTY === '0') return false
  return undefined
}

function loadOrExplain (args: NodeCommandArgs): LoadedConfig {
  try {
    return loadConfig(args.configPath, args.overrides)
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT_USAGE, { cause: err })
    throw err
  }
}

/** Resolves with the reason to stop: a signal, the parent leaving, or a fatal error. */
function stopRequests (log: Logger): { reason: Promise<{ why: string, code: number }>, fail: (why: string) => void, dispose: () => void } {
  let resolve!: (r: { why: string, code: number }) => void
  const reason = new Promise<{ why: string, code: number }>(r => { resolve = r })
  const disposeSignals = onStopSignals(
    (signal) => resolve({ why: signal, code: 0 }),
    (signal) => {
      log.warn(`second ${signal}: exiting now`)
      process.exit(signalExitCode(signal))
    })
  const onFatal = (err: unknown): void => {
    log.error('fatal error', { err, stack: (err as Error)?.stack })
    resolve({ why: 'fatal error', code: 1 })
  }
  const onParentGone = (): void => resolve({ why: 'parent process gone', code: 0 })
  process.on('uncaughtException', onFatal)
  process.on('unhandledRejection', onFatal)
  if (process.send !== undefined) process.on('disconnect', onParentGone)
  const dispose = (): void => {
    disposeSignals()
    process.off('uncaughtException', onFatal)
    process.off('unhandledRejection', onFatal)
    process.off('disconnect', onParentGone)
  }
  return { reason, fail: why => resolve({ why, code: 1 }), dispose }
}

async function withDeadline (work: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), ms) })
  try {
    return await Promise.race([work.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}

export async function runNodeCommand (argv: string[], io: CliIo, deps: Partial<DaemonOptions> = {}): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(NODE_HELP)
    return 0
  }
  const args = parseNodeArgs(argv)
  const config = loadOrExplain(args)
  const log = createLogger({ level: config.log.level, pretty: prettyLogs(io.env) })
  for (const warning of config.warnings) log.warn(warning)
  const heapGrowingPercent = boundHeapGrowth(io.env)
  // (bin/minicoin.js set both before compiling the daemon's script; set here when it runs from the sources)
  const newSpaceMiB = boundNewSpace(io.env)?.mib

  const requests = stopRequests(log)
  let daemon: RunningDaemon
  try {
    const startNode = deps.startNode ?? (await import('../../node/start-node.js')).startNode
    daemon = await startDaemon(config, log, { startNode, webDir: deps.webDir ?? webDir(io.env) })
  } catch (err) {
    requests.dispose()
    if (err instanceof CliError) throw err
    throw new CliError(`the node failed to start: ${(err as Error)?.message ?? String(err)}`, 1, { cause: err })
  }
  log.info('node running', { role: config.role, network: config.network, peerId: daemon.info.peerId, api: daemon.info.api, dashboard: `${daemon.info.api}/`, dataDir: config.dataDir, heapGrowingPercent, newSpaceMiB })
  for (const addr of daemon.info.listen) log.info('listening', { addr })
  // bin/minicoin.js writes the daemon's V8 code cache on this, once the start ran (scripts/code-cache.mjs)
  const processEvents: EventEmitter = process
  processEvents.emit(DAEMON_READY_EVENT)
  // a failed write to the data dir: stop cleanly and exit 1 (the node logged what failed)
  void daemon.node.fatal?.then(err => requests.fail(`storage failure: ${err.message}`))

  const { why, code } = await requests.reason
  log.info(`stopping (${why})`)
  let ok: boolean
  try {
    ok = await withDeadline(daemon.stop(), SHUTDOWN_DEADLINE_MS)
  } catch (err) {
    log.error('the node did not stop cleanly', { err, stack: (err as Error)?.stack })
    return 1
  }
  if (!ok) {
    log.error(`the node did not stop within ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting anyway`)
    return 1
  }
  log.info('shutdown complete')
  return code
}
