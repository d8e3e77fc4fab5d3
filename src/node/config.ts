// A daemon's configuration: one JSON file per node, checked against the
// schema in config-schema.ts, so a mistake is reported with the file, the key
// path and what was expected, before anything starts. Command-line flags
// override a few keys so several nodes can share one machine.
import { readFileSync, statSync } from 'node:fs'
import { BlockList, isIP } from 'node:net'
import { homedir } from 'node:os'
import { dirname, isAbsolute, resolve } from 'node:path'
import type { z } from 'zod'
import { getNetwork } from '../core/params.js'
import { decodeAddress } from '../wallet/address.js'
import { defaultConfirmations } from '../wallet/confirmations.js'
import { LOG_LEVELS, bool, bootstrapAddr, configSchema, ipHost, nonEmptyString, oneOf, port, type NodeConfig } from './config-schema.js'

export { ROLES, NETWORKS, LOG_LEVELS, type NodeConfig } from './config-schema.js'

/** A loaded config plus what the daemon should log as warnings (e.g. an API reachable from the LAN). */
export interface LoadedConfig extends NodeConfig {
  warnings: string[]
}

export interface CliOverrides {
  /** Relative paths resolve against the current directory. */
  dataDir?: string
  /** p2p listen address (overrides p2p.host). */
  host?: string
  port?: number
  apiPort?: number
  /** Replaces the config's bootstrap list. */
  bootstrap?: string[]
  mdns?: boolean
  logLevel?: NodeConfig['log']['level']
}

export class ConfigError extends Error {
  readonly file: string
  readonly key?: string

  constructor (file: string, key: string | undefined, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${key !== undefined ? `${key}: ` : ''}${message}`, options)
    this.name = 'ConfigError'
    this.file = file
    this.key = key
  }
}

const MAX_CONFIG_BYTES = 1024 * 1024

/** Where the daemon's wallet file is. */
export function walletFilePath (config: NodeConfig): string {
  return resolve(config.dataDir, config.wallet.file)
}

const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

/** localhost, 127.0.0.0/8, ::1, and IPv4-mapped 127.x (::ffff:127.0.0.1), in any spelling. */
export function isLoopbackHost (host: string): boolean {
  const h = host.toLowerCase()
  if (h === 'localhost') return true
  const family = isIP(h)
  // BlockList checks IPv4-mapped IPv6 addresses against the IPv4 rules.
  return family !== 0 && LOOPBACK.check(h, family === 4 ? 'ipv4' : 'ipv6')
}

// ---- checking ------------------------------------------------------------------

/** "p2p.bootstrap[1]"; an unknown key is named by its own path. */
function keyOf (issue: z.core.$ZodIssue): string {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path
  if (path.length === 0) return '(top level)'
  return path.map((p, i) => typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`).join('')
}

/** Parses with a schema; the first problem becomes a ConfigError naming the file (or "command line") and key. */
function check<S extends z.ZodType> (schema: S, value: unknown, file: string, key?: string): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const path = keyOf(issue)
  throw new ConfigError(file, key === undefined ? path : path === '(top level)' ? key : `${key}${path}`, issue.message)
}

function checkConfig (raw: unknown, file: string): LoadedConfig {
  const parsed = check(configSchema, raw, file)
  const { role, network } = parsed
  // the defaults and checks that depend on other keys
  const dataDir = parsed.dataDir === undefined ? resolve(homedir(), '.minicoin', network, role) : resolve(dirname(resolve(file)), parsed.dataDir)
  const config: LoadedConfig = { ...parsed, dataDir, wallet: { ...parsed.wallet, confirmations: parsed.wallet.confirmations ?? defaultConfirmations(network) }, warnings: [] }
  if (config.mining.payout !== null) {
    try {
      decodeAddress(config.mining.payout, getNetwork(network))
    } catch (err) {
      throw new ConfigError(file, 'mining.payout', `not a valid ${network} address: ${(err as Error).message}`)
    }
  }
  if (config.mining.enabled && role !== 'miner') throw new ConfigError(file, 'mining.enabled', `only a miner mines; this node's role is "${role}"`)
  return config
}

function applyOverrides (config: LoadedConfig, o: CliOverrides): void {
  const c = 'command line'
  if (o.dataDir !== undefined) config.dataDir = resolve(check(nonEmptyString(), o.dataDir, c, '--data-dir'))
  if (o.host !== undefined) config.p2p.host = check(ipHost(), o.host, c, '--host')
  if (o.port !== undefined) config.p2p.port = check(port(), o.port, c, '--port')
  if (o.apiPort !== undefined) config.api.port = check(port(), o.apiPort, c, '--api-port')
  if (o.bootstrap !== undefined) config.p2p.bootstrap = o.bootstrap.map(a => check(bootstrapAddr(), a, c, '--bootstrap'))
  if (o.mdns !== undefined) config.p2p.mdns = check(bool(), o.mdns, c, '--mdns')
  if (o.logLevel !== undefined) config.log.level = check(oneOf(LOG_LEVELS), o.logLevel, c, '--log-level')
}

function warningsOf (config: NodeConfig, file: string): string[] {
  const warnings: string[] = []
  if (!isLoopbackHost(config.api.host)) {
    warnings.push(`${file}: api.host "${config.api.host}" makes the HTTP API reachable from other machines: ` +
      'anyone who can reach it can read the node and its wallet balance (spending still needs the cookie token)')
  }
  return warnings
}

// ---- the file --------------------------------------------------------------

function lineAndColumn (text: string, position: number): string {
  const before = text.slice(0, position)
  const line = before.split('\n').length
  const column = position - before.lastIndexOf('\n')
  return `line ${line}, column ${column}`
}

function parseJson (text: string, file: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    const msg = (err as Error).message
    const match = /at position (\d+)/.exec(msg)
    const position = match !== null ? Number(match[1]) : /end of JSON input/.test(msg) ? text.length : undefined
    const atEnd = position !== undefined && position >= text.trimEnd().length
    const where = position === undefined ? '' : ` at ${lineAndColumn(text, position)}${atEnd ? ' (the file ends too early)' : ''}`
    throw new ConfigError(file, undefined, `invalid JSON${where}: ${msg.replace(/ in JSON at position \d+/, '')}`, { cause: err })
  }
}

function readConfigText (file: string): string {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory, not a file' : (err as Error).message
    throw new ConfigError(file, undefined, `cannot read the config file: ${why}`, { cause: err })
  }
  if (bytes.length > MAX_CONFIG_BYTES) throw new ConfigError(file, undefined, `${bytes.length} bytes is far larger than any config file`)
  return bytes.toString('utf8').replace(/^\uFEFF/, '')
}

/**
 * A config holding the wallet password is a secret like the keystore: refuse
 * it when others than its owner may read it (Core refuses nothing here, but
 * ssh refuses keys readable by others, and so does our keystore check).
 */
function checkSecretFileMode (file: string, shown: string, config: NodeConfig): void {
  if (config.wallet.password === null || process.platform === 'win32') return
  const mode = statSync(file).mode
  if ((mode & 0o077) === 0) return
  throw new ConfigError(shown, 'wallet.password',
    `the file holds the wallet password but is readable by others than its owner (mode ${(mode & 0o777).toString(8).padStart(3, '0')}); ` +
    `run: chmod 600 ${file}`)
}

/** Reads, validates and completes a config file; throws ConfigError naming the file and key. */
export function loadConfig (path: string, overrides: CliOverrides = {}): LoadedConfig {
  const file = isAbsolute(path) ? path : resolve(path)
  const config = checkConfig(parseJson(readConfigText(file), path), path)
  checkSecretFileMode(file, path, config)
  applyOverrides(config, overrides)
  config.warnings = warningsOf(config, path)
  return config
}
