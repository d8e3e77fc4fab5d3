// A daemon's configuration: one JSON file per node, validated by hand so a
// mistake is reported with the file, the key path and what was expected,
// before anything starts. Command-line flags override a few keys so several
// nodes can share one machine.
import { readFileSync, statSync } from 'node:fs'
import { BlockList, isIP } from 'node:net'
import { homedir } from 'node:os'
import { dirname, isAbsolute, resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_MONEY, getNetwork } from '../core/params.js'
import { decodeAddress } from '../wallet/address.js'
import { parseAddressRange } from '../p2p/peer-address.js'
import { MAX_CONFIRMATIONS, defaultConfirmations } from '../wallet/confirmations.js'

export interface NodeConfig {
  role: 'miner' | 'full' | 'spv'
  network: 'devnet' | 'testnet' | 'regtest'
  /** Absolute after loading (relative paths resolve against the config file's directory). */
  dataDir: string
  /**
   * host default '0.0.0.0'; port 0 = ephemeral. trustedAddresses: IPs or
   * CIDR ranges exempt from per-IP limits and IP bans, like loopback
   * (absent = none besides loopback).
   */
  p2p: { host: string, port: number, bootstrap: string[], mdns: boolean, maxPeers: number, trustedAddresses?: string[] }
  /**
   * host default '127.0.0.1'; port 0 = ephemeral. allowedHosts: host names
   * (besides localhost and IP addresses) that requests may address the API
   * by, e.g. "mynode.lan" when bound to 0.0.0.0 (DNS-rebinding defence).
   */
  api: { host: string, port: number, allowedHosts: string[] }
  /** payout: an address; null = the wallet's first address. */
  mining: { enabled: boolean, threads: number, payout: string | null }
  /**
   * file: relative to dataDir unless absolute (see walletFilePath); null password = unencrypted daemon wallet (file mode 0600);
   * confirmations: depth at which a payment counts as confirmed (loaded configs always set it; absent = the network's default).
   */
  wallet: { file: string, password: string | null, confirmations?: number }
  log: { level: 'debug' | 'info' | 'warn' | 'error' }
  /** Demo mode: small payments to peers' addresses every few seconds. */
  demo: { enabled: boolean, intervalSeconds: number, amount: string }
  /** ancestors/descendants: chains of unconfirmed transactions (counts include the transaction; bytes likewise). */
  mempool: { maxBytes: number, maxAncestors: number, maxAncestorBytes: number, maxDescendants: number, maxDescendantBytes: number }
}

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

export const ROLES = ['miner', 'full', 'spv'] as const
export const NETWORKS = ['devnet', 'testnet', 'regtest'] as const
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const

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

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i

// ---- reading values --------------------------------------------------------

type Obj = Record<string, unknown>

function describe (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return `"${v.length > 60 ? v.slice(0, 60) + '…' : v}"`
  if (typeof v === 'object') return 'an object'
  return `${typeof v} ${String(v)}`
}

/** Validation of one source (the file, or the command line) with key paths in its errors. */
class Checker {
  constructor (readonly file: string) {}

  fail (key: string, message: string): never {
    throw new ConfigError(this.file, key, message)
  }

  expected (key: string, what: string, got: unknown): never {
    throw new ConfigError(this.file, key, `expected ${what}, got ${describe(got)}`)
  }

  /** A section: an object with only the listed keys (missing = empty). */
  section (parent: Obj, key: string, path: string, allowed: readonly string[]): Obj {
    const v = parent[key]
    if (v === undefined) return {}
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.expected(path, 'an object', v)
    this.onlyKeys(v as Obj, path, allowed)
    return v as Obj
  }

  onlyKeys (obj: Obj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) {
        const where = path === '' ? k : `${path}.${k}`
        this.fail(where, `unknown key (expected one of: ${allowed.join(', ')})`)
      }
    }
  }

  oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
    if (typeof v !== 'string' || !values.includes(v as T)) this.expected(path, `one of ${values.map(x => `"${x}"`).join(', ')}`, v)
    return v as T
  }

  bool (v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.expected(path, 'true or false', v)
    return v as boolean
  }

  int (v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.expected(path, `an integer from ${min} to ${max}`, v)
    return v as number
  }

  number (v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this.expected(path, `a number from ${min} to ${max}`, v)
    return v as number
  }

  nonEmptyString (v: unknown, path: string): string {
    if (typeof v !== 'string' || v.trim() === '') this.expected(path, 'a non-empty string', v)
    return v as string
  }

  port (v: unknown, path: string): number {
    return this.int(v, path, 0, 65535)
  }

  addressRange (v: unknown, path: string): string {
    if (typeof v !== 'string' || parseAddressRange(v) === undefined) this.expected(path, 'an IP address or CIDR range such as "192.168.1.20" or "192.168.1.0/24"', v)
    return (v as string).trim()
  }

  ipHost (v: unknown, path: string): string {
    if (typeof v !== 'string' || isIP(v) === 0) this.expected(path, 'an IPv4 or IPv6 address such as "0.0.0.0"', v)
    return v as string
  }

  hostNames (v: unknown, path: string): string[] {
    if (!Array.isArray(v)) this.expected(path, 'an array of host names such as ["mynode.lan"]', v)
    return (v as unknown[]).map((name, i) => {
      if (typeof name !== 'string' || !HOST_NAME.test(name)) this.expected(`${path}[${i}]`, 'a host name such as "mynode.lan"', name)
      return (name as string).toLowerCase().replace(/\.$/, '')
    })
  }

  apiHost (v: unknown, path: string): string {
    if (typeof v !== 'string' || (v !== 'localhost' && isIP(v) === 0)) this.expected(path, 'an IP address such as "127.0.0.1" (or "localhost")', v)
    return v as string
  }

  bootstrapAddr (v: unknown, path: string): string {
    if (typeof v !== 'string') this.expected(path, 'a multiaddr string', v)
    const str = (v as string).trim()
    let components
    try {
      components = multiaddr(str).getComponents()
    } catch (err) {
      this.fail(path, `not a valid multiaddr "${str}" (${(err as Error).message})`)
    }
    const p2p = components.filter(c => c.name === 'p2p')
    if (p2p.length === 0 || p2p[p2p.length - 1] !== components[components.length - 1]) {
      this.fail(path, `"${str}" must end with /p2p/<peer id>, e.g. /ip4/192.168.1.10/tcp/4001/p2p/12D3KooW...`)
    }
    const peerId = p2p[p2p.length - 1].value ?? ''
    try {
      peerIdFromString(peerId)
    } catch {
      this.fail(path, `"${peerId}" in "${str}" is not a valid peer id`)
    }
    return str
  }

  /** A decimal string of base units, 1 ..= MAX_MONEY. */
  positiveAmount (v: unknown, path: string): string {
    if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) this.expected(path, 'a decimal string of base units such as "1000000"', v)
    const n = BigInt(v as string)
    if (n <= 0n || n > MAX_MONEY) this.expected(path, `an amount from 1 to ${MAX_MONEY} base units`, v)
    return n.toString()
  }
}

// ---- the schema ------------------------------------------------------------

const TOP_KEYS = ['role', 'network', 'dataDir', 'p2p', 'api', 'mining', 'wallet', 'log', 'demo', 'mempool'] as const

function checkConfig (raw: unknown, file: string): LoadedConfig {
  const c = new Checker(file)
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) c.expected('(top level)', 'a JSON object', raw)
  const top = raw as Obj
  c.onlyKeys(top, '', TOP_KEYS)
  if (top.role === undefined) c.fail('role', `required: one of ${ROLES.join(', ')}`)
  if (top.network === undefined) c.fail('network', `required: one of ${NETWORKS.join(', ')}`)
  const role = c.oneOf(top.role, 'role', ROLES)
  const network = c.oneOf(top.network, 'network', NETWORKS)
  const params = getNetwork(network)
  const baseDir = dirname(resolve(file))
  const opt = <T>(obj: Obj, key: string, fallback: T, read: (v: unknown) => T): T => obj[key] === undefined ? fallback : read(obj[key])

  const dataDir = opt(top, 'dataDir', resolve(homedir(), '.minicoin', network, role), v => resolve(baseDir, c.nonEmptyString(v, 'dataDir')))

  const p2p = c.section(top, 'p2p', 'p2p', ['host', 'port', 'bootstrap', 'mdns', 'maxPeers', 'trustedAddresses'])
  const bootstrap = opt(p2p, 'bootstrap', [] as string[], v => {
    if (!Array.isArray(v)) c.expected('p2p.bootstrap', 'an array of multiaddr strings', v)
    return (v as unknown[]).map((a, i) => c.bootstrapAddr(a, `p2p.bootstrap[${i}]`))
  })

  // absent stays absent: loopback alone is exempt
  const trustedAddresses = opt(p2p, 'trustedAddresses', undefined as string[] | undefined, v => {
    if (!Array.isArray(v)) c.expected('p2p.trustedAddresses', 'an array of IP addresses or CIDR ranges', v)
    return (v as unknown[]).map((a, i) => c.addressRange(a, `p2p.trustedAddresses[${i}]`))
  })

  const api = c.section(top, 'api', 'api', ['host', 'port', 'allowedHosts'])
  const mining = c.section(top, 'mining', 'mining', ['enabled', 'threads', 'payout'])
  const wallet = c.section(top, 'wallet', 'wallet', ['file', 'password', 'confirmations'])
  const log = c.section(top, 'log', 'log', ['level'])
  const demo = c.section(top, 'demo', 'demo', ['enabled', 'intervalSeconds', 'amount'])
  const mempool = c.section(top, 'mempool', 'mempool', ['maxBytes', 'maxAncestors', 'maxAncestorBytes', 'maxDescendants', 'maxDescendantBytes'])

  const config: LoadedConfig = {
    role,
    network,
    dataDir,
    p2p: {
      host: opt(p2p, 'host', '0.0.0.0', v => c.ipHost(v, 'p2p.host')),
      port: opt(p2p, 'port', 0, v => c.port(v, 'p2p.port')),
      bootstrap,
      mdns: opt(p2p, 'mdns', true, v => c.bool(v, 'p2p.mdns')),
      maxPeers: opt(p2p, 'maxPeers', 50, v => c.int(v, 'p2p.maxPeers', 1, 1000)),
      ...(trustedAddresses !== undefined ? { trustedAddresses } : {})
    },
    api: {
      host: opt(api, 'host', '127.0.0.1', v => c.apiHost(v, 'api.host')),
      port: opt(api, 'port', 0, v => c.port(v, 'api.port')),
      allowedHosts: opt(api, 'allowedHosts', [] as string[], v => c.hostNames(v, 'api.allowedHosts'))
    },
    mining: {
      enabled: opt(mining, 'enabled', false, v => c.bool(v, 'mining.enabled')),
      threads: opt(mining, 'threads', 1, v => c.int(v, 'mining.threads', 1, 64)),
      payout: opt(mining, 'payout', null as string | null, v => {
        if (v === null) return null
        try {
          decodeAddress(v, params)
        } catch (err) {
          c.fail('mining.payout', `not a valid ${network} address: ${(err as Error).message}`)
        }
        return (v as string).trim()
      })
    },
    wallet: {
      file: opt(wallet, 'file', 'wallet.json', v => c.nonEmptyString(v, 'wallet.file')),
      password: opt(wallet, 'password', null as string | null, v => v === null ? null : c.nonEmptyString(v, 'wallet.password')),
      confirmations: opt(wallet, 'confirmations', defaultConfirmations(network), v => c.int(v, 'wallet.confirmations', 1, MAX_CONFIRMATIONS))
    },
    log: { level: opt(log, 'level', 'info' as const, v => c.oneOf(v, 'log.level', LOG_LEVELS)) },
    demo: {
      enabled: opt(demo, 'enabled', false, v => c.bool(v, 'demo.enabled')),
      intervalSeconds: opt(demo, 'intervalSeconds', 10, v => c.number(v, 'demo.intervalSeconds', 1, 3600)),
      amount: opt(demo, 'amount', '1000000', v => c.positiveAmount(v, 'demo.amount'))
    },
    mempool: {
      maxBytes: opt(mempool, 'maxBytes', 32 * 1024 * 1024, v => c.int(v, 'mempool.maxBytes', 100_000, 2 ** 31)),
      // Bitcoin Core's -limitancestorcount/-limitancestorsize/-limitdescendantcount/-limitdescendantsize
      maxAncestors: opt(mempool, 'maxAncestors', 25, v => c.int(v, 'mempool.maxAncestors', 1, 1000)),
      maxAncestorBytes: opt(mempool, 'maxAncestorBytes', 101_000, v => c.int(v, 'mempool.maxAncestorBytes', 1000, 10_000_000)),
      maxDescendants: opt(mempool, 'maxDescendants', 25, v => c.int(v, 'mempool.maxDescendants', 1, 1000)),
      maxDescendantBytes: opt(mempool, 'maxDescendantBytes', 101_000, v => c.int(v, 'mempool.maxDescendantBytes', 1000, 10_000_000))
    },
    warnings: []
  }
  if (config.mining.enabled && role !== 'miner') c.fail('mining.enabled', `only a miner mines; this node's role is "${role}"`)
  return config
}

function applyOverrides (config: LoadedConfig, o: CliOverrides): void {
  const c = new Checker('command line')
  if (o.dataDir !== undefined) config.dataDir = resolve(c.nonEmptyString(o.dataDir, '--data-dir'))
  if (o.host !== undefined) config.p2p.host = c.ipHost(o.host, '--host')
  if (o.port !== undefined) config.p2p.port = c.port(o.port, '--port')
  if (o.apiPort !== undefined) config.api.port = c.port(o.apiPort, '--api-port')
  if (o.bootstrap !== undefined) config.p2p.bootstrap = o.bootstrap.map(a => c.bootstrapAddr(a, '--bootstrap'))
  if (o.mdns !== undefined) config.p2p.mdns = c.bool(o.mdns, '--mdns')
  if (o.logLevel !== undefined) config.log.level = c.oneOf(o.logLevel, '--log-level', LOG_LEVELS)
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
