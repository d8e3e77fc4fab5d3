// The config file's schema, written once: zod gives the NodeConfig type, the
// defaults, the checks with their key-path errors, and (through each key's
// meta) the README's configuration table (npm run config-table).
//
// Adding a key: one line in its section below, with a leaf checker (they
// say "expected …, got …" in the config tests' wording) and its meta; then
// `npm run config-table` rewrites the README table, which a unit test checks.
import { z } from 'zod'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_MONEY, NETWORK_IDS } from '../core/params.js'
import { ipVersion, parseAddressRange } from '../p2p/peer-address.js'
import { MAX_CONFIRMATIONS } from '../wallet/confirmations.js'
import { LOG_LEVELS } from '../telemetry/logger.js'

export const ROLES = ['miner', 'full', 'spv'] as const
export const NETWORKS = NETWORK_IDS
export { LOG_LEVELS }

/** A key's README row: its type as people read it, its default when not the schema's literal one, its meaning. */
// a type literal (not an interface) so it fits zod's meta record
export type KeyDoc = { kind: string, defaultText?: string, description?: string }
const doc = (kind: string, description = '', defaultText?: string): KeyDoc => ({ kind, description, ...(defaultText !== undefined ? { defaultText } : {}) })
// Registered on the key's own schema (what .meta() reads back), rather than
// .meta(doc), which copies the schema first.

// ---- leaf checkers ------------------------------------------------------------

export function describeValue (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return `"${v.length > 60 ? v.slice(0, 60) + '…' : v}"`
  if (typeof v === 'object') return 'an object'
  return `${typeof v} ${String(v)}`
}

/** One message for every way a value can miss: "expected <what>, got <value>". */
export const expected = (what: string): { error: (iss: { input?: unknown }) => string } =>
  ({ error: iss => `expected ${what}, got ${describeValue(iss.input)}` })

// The checks in one .check() call, not chained: each zod method call builds
// a whole new schema object, and the ~170 of this file cost start CPU.
export const int = (min: number, max: number): z.ZodNumber => {
  const e = expected(`an integer from ${min} to ${max}`)
  return z.number(e).check(z.int(e), z.gte(min, e), z.lte(max, e))
}
const number = (min: number, max: number): z.ZodNumber => {
  const e = expected(`a number from ${min} to ${max}`)
  return z.number(e).check(z.gte(min, e), z.lte(max, e))
}
export const bool = (): z.ZodBoolean => z.boolean(expected('true or false'))
export const port = (): z.ZodNumber => int(0, 65535)
export const nonEmptyString = (): z.ZodType<string> => z.string(expected('a non-empty string')).refine(s => s.trim() !== '', expected('a non-empty string'))
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> => z.enum(values, {
  error: iss => iss.input === undefined
    ? `required: one of ${values.join(', ')}`
    : `expected one of ${values.map(x => `"${x}"`).join(', ')}, got ${describeValue(iss.input)}`
})

export const ipHost = (): z.ZodType<string> => {
  const e = expected('an IPv4 or IPv6 address such as "0.0.0.0"')
  return z.string(e).refine(v => ipVersion(v) !== 0, e)
}
const apiHost = (): z.ZodType<string> => {
  const e = expected('an IP address such as "127.0.0.1" (or "localhost")')
  return z.string(e).refine(v => v === 'localhost' || ipVersion(v) !== 0, e)
}
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i
const hostName = (): z.ZodType<string, string> => {
  const e = expected('a host name such as "mynode.lan"')
  return z.string(e).regex(HOST_NAME, e).transform(n => n.toLowerCase().replace(/\.$/, ''))
}
const addressRange = (): z.ZodType<string, string> => {
  const e = expected('an IP address or CIDR range such as "192.168.1.20" or "192.168.1.0/24"')
  return z.string(e).refine(v => parseAddressRange(v) !== undefined, e).transform(v => v.trim())
}

/** Why a bootstrap entry is unusable, or undefined: it must be a multiaddr ending in /p2p/<valid peer id>. */
export function bootstrapProblem (str: string): string | undefined {
  let components
  try {
    components = multiaddr(str).getComponents()
  } catch (err) {
    return `not a valid multiaddr "${str}" (${(err as Error).message})`
  }
  const p2p = components.filter(c => c.name === 'p2p')
  if (p2p.length === 0 || p2p[p2p.length - 1] !== components[components.length - 1]) {
    return `"${str}" must end with /p2p/<peer id>, e.g. /ip4/192.168.1.10/tcp/4001/p2p/12D3KooW...`
  }
  const peerId = p2p[p2p.length - 1].value ?? ''
  try {
    peerIdFromString(peerId)
  } catch {
    return `"${peerId}" in "${str}" is not a valid peer id`
  }
  return undefined
}
export const bootstrapAddr = (): z.ZodType<string, string> => z.string(expected('a multiaddr string')).transform((s, ctx) => {
  const str = s.trim()
  const problem = bootstrapProblem(str)
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
  return str
})

/** A decimal string of base units, 1 ..= MAX_MONEY. */
const positiveAmount = (): z.ZodType<string, string> => {
  const e = expected('a decimal string of base units such as "1000000"')
  const inRange = expected(`an amount from 1 to ${MAX_MONEY} base units`)
  // zod runs every check (the first issue is the one reported): the range check guards itself
  return z.string(e).regex(/^[0-9]+$/, e).refine(v => /^[0-9]+$/.test(v) && BigInt(v) > 0n && BigInt(v) <= MAX_MONEY, inRange).transform(v => BigInt(v).toString())
}

/** A section: an object with only its own keys, each optional (absent section = all defaults). */
function section<S extends z.ZodRawShape> (shape: S): z.ZodObject<S, z.core.$strict> {
  return z.strictObject(shape, {
    error: iss => iss.code === 'unrecognized_keys'
      ? `unknown key (expected one of: ${Object.keys(shape).join(', ')})`
      : `expected an object, got ${describeValue(iss.input)}`
  })
}

// ---- the schema -----------------------------------------------------------------

const topLevel = {
  role: oneOf(ROLES).register(z.globalRegistry, doc(ROLES.map(r => `\`${r}\``).join(' \\| '), '', 'required')),
  network: oneOf(NETWORKS).register(z.globalRegistry, doc(NETWORKS.map(n => `\`${n}\``).join(' \\| '), 'see *Networks*', 'required')),
  // absent: ~/.minicoin/<network>/<role> (config.ts fills it in; relative paths resolve against the file's directory)
  dataDir: nonEmptyString().optional().register(z.globalRegistry, doc('path', 'chain database, wallet, peer key, cookie', '`~/.minicoin/<network>/<role>`')),
  p2p: section({
    host: ipHost().default('0.0.0.0').register(z.globalRegistry, doc('IP', 'libp2p listen address')),
    port: port().default(0).register(z.globalRegistry, doc('0–65535', 'libp2p TCP port', '0 (any)')),
    bootstrap: z.array(bootstrapAddr(), expected('an array of multiaddr strings')).default([]).register(z.globalRegistry, doc('multiaddrs with `/p2p/<id>`', 'peers to dial at start and keep')),
    mdns: bool().default(true).register(z.globalRegistry, doc('boolean', 'LAN discovery (multicast)')),
    maxPeers: int(1, 1000).default(50).register(z.globalRegistry, doc('1–1000', 'up to 8 of them kept for peers we dial (see *Peer limits*)')),
    // absent stays absent: loopback alone is exempt
    trustedAddresses: z.array(addressRange(), expected('an array of IP addresses or CIDR ranges')).optional()
      .register(z.globalRegistry, doc('IPs or CIDR ranges', 'exempt from per-IP limits and IP bans, like loopback, e.g. `["192.168.1.0/24"]`', 'none'))
  }).prefault({}),
  api: section({
    host: apiHost().default('127.0.0.1').register(z.globalRegistry, doc('IP', 'non-loopback is allowed with a warning')),
    port: port().default(0).register(z.globalRegistry, doc('0–65535', 'JSON API, `/metrics`, dashboard')),
    allowedHosts: z.array(hostName(), expected('an array of host names such as ["mynode.lan"]')).default([])
      .register(z.globalRegistry, doc('host names', 'names (besides `localhost` and IP addresses) browsers may reach the API by, e.g. `["mynode.lan"]`; see *HTTP API*'))
  }).prefault({}),
  mining: section({
    enabled: bool().default(false).register(z.globalRegistry, doc('boolean', 'miner role only')),
    threads: int(1, 64).default(1).register(z.globalRegistry, doc('1–64', 'nonce-search worker threads')),
    // checked against the network's address prefix in config.ts
    payout: z.string(expected('an address string or null')).trim().nullable().default(null).register(z.globalRegistry, doc('address \\| `null`', '`null` = the wallet\'s first address'))
  }).prefault({}),
  wallet: section({
    file: nonEmptyString().default('wallet.json').register(z.globalRegistry, doc('path', 'relative to `dataDir`')),
    password: nonEmptyString().nullable().default(null).register(z.globalRegistry, doc('string \\| `null`',
      '`null` = unencrypted daemon wallet, protected only by file mode 0600; a config file holding a password must itself be owner-only (`chmod 600`), else the node refuses to start')),
    // absent: the network's default (config.ts fills it in)
    confirmations: int(1, MAX_CONFIRMATIONS).optional().register(z.globalRegistry, doc(`1–${MAX_CONFIRMATIONS}`,
      'depth at which a received payment counts as `confirmed` (Bitcoin\'s 6); below it, it is `pending`. The wallet\'s own change counts after 1 block, as Core trusts its own change', '6 (regtest 1)'))
  }).prefault({}),
  log: section({
    level: oneOf(LOG_LEVELS).default('info').register(z.globalRegistry, doc(LOG_LEVELS.map(l => `\`${l}\``).join('\\|'), 'JSON lines when piped, readable on a terminal'))
  }).prefault({}),
  /** Demo mode: small payments to peers' addresses every few seconds. */
  demo: section({
    enabled: bool().default(false).register(z.globalRegistry, doc('boolean', 'send small payments to peers every few seconds')),
    intervalSeconds: number(1, 3600).default(10).register(z.globalRegistry, doc('1–3600 (seconds)', '')),
    amount: positiveAmount().default('1000000').register(z.globalRegistry, doc('decimal string', 'base units per payment', '`"1000000"`'))
  }).prefault({}),
  // Bitcoin Core's -maxmempool, -limitancestorcount/-limitancestorsize/-limitdescendantcount/-limitdescendantsize
  mempool: section({
    maxBytes: int(100_000, 2 ** 31).default(32 * 1024 * 1024).register(z.globalRegistry, doc('bytes', 'lowest fee rates are evicted beyond this', '32 MiB')),
    maxAncestors: int(1, 1000).default(25).register(z.globalRegistry, doc('1–1000', 'most unconfirmed ancestors of a pending transaction, counting itself')),
    maxAncestorBytes: int(1000, 10_000_000).default(101_000).register(z.globalRegistry, doc('bytes', 'most bytes of a pending transaction with its unconfirmed ancestors', '101,000')),
    maxDescendants: int(1, 1000).default(25).register(z.globalRegistry, doc('1–1000', 'most unconfirmed descendants of a pending transaction, counting itself')),
    maxDescendantBytes: int(1000, 10_000_000).default(101_000).register(z.globalRegistry, doc('bytes', 'most bytes of a pending transaction with its unconfirmed descendants', '101,000'))
  }).prefault({})
}

export const configSchema = z.strictObject(topLevel, {
  error: iss => iss.code === 'unrecognized_keys'
    ? `unknown key (expected one of: ${Object.keys(topLevel).join(', ')})`
    : `expected a JSON object, got ${describeValue(iss.input)}`
})

/** A node's configuration; dataDir is always set (absolute) once loaded. */
export type NodeConfig = z.output<typeof configSchema> & { dataDir: string }
