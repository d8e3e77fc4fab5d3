import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ConfigError, loadConfig, walletFilePath, type NodeConfig } from '../../src/node/config.js'
import { decodeAddress, type AddressError } from '../../src/wallet/address.js'
import { devnet, testnet } from '../../src/core/params.js'
import { fakeAddress } from '../support/fake-node.js'

const REPO = resolve(import.meta.dirname, '..', '..')
const PEER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const BOOT = `/ip4/192.168.1.10/tcp/4001/p2p/${PEER}`

let dir: string
let counter = 0

async function configFile (content: unknown): Promise<string> {
  const file = join(dir, `config-${counter++}.json`)
  // owner-only, as a config holding a wallet password must be (tested on its own below)
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2), { mode: 0o600 })
  return file
}

function failure (fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minicoin-config-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('the shipped configs', () => {
  it.each(['miner', 'full', 'spv'] as const)('config/%s.json loads: devnet, mDNS on, its role and data dir', (role) => {
    const config = loadConfig(join(REPO, 'config', `${role}.json`))
    expect(config.role).toBe(role)
    expect(config.network).toBe('devnet')
    expect(config.p2p.mdns).toBe(true)
    expect(config.dataDir).toBe(join(REPO, '.data', role))
    expect(config.api.host).toBe('127.0.0.1')
    expect(config.mining.enabled).toBe(role === 'miner')
    expect(config.mining.threads).toBe(1)
    expect(config.demo.enabled).toBe(false)
    expect(config.log.level).toBe('info')
    expect(config.warnings).toEqual([])
  })

  it('use distinct ports', () => {
    const configs = ['miner', 'full', 'spv'].map(r => loadConfig(join(REPO, 'config', `${r}.json`)))
    const ports = configs.flatMap(c => [c.p2p.port, c.api.port])
    expect(new Set(ports).size).toBe(6)
    expect(ports.every(p => p > 0)).toBe(true)
  })
})

describe('defaults and paths', () => {
  it('fills every optional section with defaults', async () => {
    const config = loadConfig(await configFile({ role: 'full', network: 'testnet' }))
    const expected: NodeConfig = {
      role: 'full',
      network: 'testnet',
      dataDir: join(homedir(), '.minicoin', 'testnet', 'full'),
      p2p: { host: '0.0.0.0', port: 0, bootstrap: [], mdns: true, maxPeers: 50 },
      api: { host: '127.0.0.1', port: 0, allowedHosts: [] },
      mining: { enabled: false, threads: 1, payout: null },
      wallet: { file: 'wallet.json', password: null, confirmations: 6 },
      log: { level: 'info' },
      demo: { enabled: false, intervalSeconds: 10, amount: '1000000' },
      mempool: { maxBytes: 32 * 1024 * 1024, maxAncestors: 25, maxAncestorBytes: 101_000, maxDescendants: 25, maxDescendantBytes: 101_000 }
    }
    expect(config).toEqual({ ...expected, warnings: [] })
  })

  it('resolves a relative dataDir against the config file\'s directory, not the current one', async () => {
    await mkdir(join(dir, 'nested'), { recursive: true })
    const file = join(dir, 'nested', 'c.json')
    await writeFile(file, JSON.stringify({ role: 'spv', network: 'devnet', dataDir: '../data/spv' }))
    expect(loadConfig(file).dataDir).toBe(join(dir, 'data', 'spv'))
    expect(loadConfig(file).dataDir).toBe(loadConfig(resolve(file)).dataDir)
  })

  it('walletFilePath: relative to dataDir unless absolute', async () => {
    const config = loadConfig(await configFile({ role: 'full', network: 'devnet', dataDir: '/srv/mc' }))
    expect(walletFilePath(config)).toBe('/srv/mc/wallet.json')
    config.wallet.file = '/keys/w.json'
    expect(walletFilePath(config)).toBe('/keys/w.json')
  })

  it('accepts a full, valid config as written', async () => {
    const raw = {
      role: 'miner',
      network: 'devnet',
      dataDir: '/var/lib/minicoin',
      p2p: { host: '::', port: 65535, bootstrap: [BOOT, `/dns4/seed.example/tcp/4001/p2p/${PEER}`], mdns: false, maxPeers: 8 },
      api: { host: '::1', port: 0, allowedHosts: ['mynode.lan'] },
      mining: { enabled: true, threads: 64, payout: fakeAddress(3) },
      wallet: { file: 'keys/w.json', password: 'hunter2', confirmations: 3 },
      log: { level: 'debug' },
      demo: { enabled: true, intervalSeconds: 2.5, amount: '5000' },
      mempool: { maxBytes: 100_000, maxAncestors: 50, maxAncestorBytes: 200_000, maxDescendants: 10, maxDescendantBytes: 50_000 }
    }
    const config = loadConfig(await configFile(raw))
    expect(config).toEqual({ ...raw, warnings: [] })
  })
})

describe('command-line overrides', () => {
  it('override the data dir (relative to the current directory), ports, bootstrap, mDNS and log level', async () => {
    const file = join(REPO, 'config', 'full.json')
    const config = loadConfig(file, { dataDir: 'some/dir', port: 0, apiPort: 0, bootstrap: [BOOT], mdns: false, logLevel: 'debug' })
    expect(config.dataDir).toBe(resolve('some/dir'))
    expect(config.p2p.port).toBe(0)
    expect(config.api.port).toBe(0)
    expect(config.p2p.bootstrap).toEqual([BOOT])
    expect(config.p2p.mdns).toBe(false)
    expect(config.log.level).toBe('debug')
  })

  it.each([
    [{ port: 70000 }, '--port'],
    [{ apiPort: -1 }, '--api-port'],
    [{ bootstrap: ['/ip4/127.0.0.1/tcp/4001'] }, '--bootstrap'],
    [{ dataDir: '' }, '--data-dir']
  ])('refuses a bad override %j naming the flag', (overrides, key) => {
    const err = failure(() => loadConfig(join(REPO, 'config', 'full.json'), overrides))
    expect(err.file).toBe('command line')
    expect(err.key).toBe(key)
    expect(err.message).toContain(`command line: ${key}:`)
  })
})

describe('refuses bad configs, naming the file, the key and what was expected', () => {
  const base = { role: 'full', network: 'devnet' }
  let testnetAddressError = ''
  try { decodeAddress(fakeAddress(1, testnet), devnet) } catch (err) { testnetAddressError = (err as AddressError).message }

  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['missing role', { network: 'devnet' }, 'role', /required: one of miner, full, spv/],
    ['missing network', { role: 'full' }, 'network', /required: one of devnet, testnet, regtest/],
    ['unknown role', { ...base, role: 'validator' }, 'role', /expected one of "miner", "full", "spv", got "validator"/],
    ['unknown network', { ...base, network: 'mainnet' }, 'network', /expected one of/],
    ['an unknown top-level key', { ...base, colour: 'blue' }, 'colour', /unknown key \(expected one of: role, network/],
    ['an unknown nested key (a typo)', { ...base, p2p: { prot: 4001 } }, 'p2p.prot', /unknown key \(expected one of: host, port/],
    ['a section that is not an object', { ...base, p2p: 5 }, 'p2p', /expected an object, got number 5/],
    ['a section that is an array', { ...base, api: [] }, 'api', /expected an object, got an array/],
    ['a port above 65535', { ...base, p2p: { port: 70000 } }, 'p2p.port', /expected an integer from 0 to 65535, got number 70000/],
    ['a negative port', { ...base, api: { port: -1 } }, 'api.port', /from 0 to 65535/],
    ['a fractional port', { ...base, p2p: { port: 1.5 } }, 'p2p.port', /integer/],
    ['a port as a string', { ...base, api: { port: '8101' } }, 'api.port', /got "8101"/],
    ['a p2p host that is a name', { ...base, p2p: { host: 'example.com' } }, 'p2p.host', /IPv4 or IPv6 address/],
    ['an api host with a port', { ...base, api: { host: '127.0.0.1:80' } }, 'api.host', /IP address/],
    ['zero threads', { ...base, role: 'miner', mining: { threads: 0 } }, 'mining.threads', /from 1 to 64, got number 0/],
    ['65 threads', { ...base, role: 'miner', mining: { threads: 65 } }, 'mining.threads', /from 1 to 64/],
    ['mining.enabled not a boolean', { ...base, role: 'miner', mining: { enabled: 'yes' } }, 'mining.enabled', /true or false/],
    ['mining on a full node', { ...base, mining: { enabled: true } }, 'mining.enabled', /only a miner mines/],
    ['a payout address with a bad checksum', { ...base, role: 'miner', mining: { payout: fakeAddress(1).slice(0, -1) + (fakeAddress(1).endsWith('q') ? 'p' : 'q') } }, 'mining.payout', /checksum/],
    ['a payout address of another network', { ...base, role: 'miner', mining: { payout: fakeAddress(1, testnet) } }, 'mining.payout', new RegExp(testnetAddressError.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))],
    ['bootstrap not an array', { ...base, p2p: { bootstrap: BOOT } }, 'p2p.bootstrap', /an array of multiaddr strings/],
    ['a bootstrap entry that is no multiaddr', { ...base, p2p: { bootstrap: [BOOT, 'localhost:4001'] } }, 'p2p.bootstrap[1]', /not a valid multiaddr/],
    ['a bootstrap multiaddr without /p2p/', { ...base, p2p: { bootstrap: ['/ip4/127.0.0.1/tcp/4001'] } }, 'p2p.bootstrap[0]', /must end with \/p2p\/<peer id>/],
    ['a bootstrap multiaddr with a bad peer id', { ...base, p2p: { bootstrap: ['/ip4/127.0.0.1/tcp/4001/p2p/xyz'] } }, 'p2p.bootstrap[0]', /not a valid peer id/],
    ['a bootstrap multiaddr with a bad IP', { ...base, p2p: { bootstrap: [`/ip4/999.1.1.1/tcp/4001/p2p/${PEER}`] } }, 'p2p.bootstrap[0]', /not a valid multiaddr/],
    ['mdns as a string', { ...base, p2p: { mdns: 'true' } }, 'p2p.mdns', /true or false, got "true"/],
    ['maxPeers 0', { ...base, p2p: { maxPeers: 0 } }, 'p2p.maxPeers', /from 1 to 1000/],
    ['an unknown log level', { ...base, log: { level: 'verbose' } }, 'log.level', /one of "debug", "info", "warn", "error", got "verbose"/],
    ['a fractional demo amount', { ...base, demo: { amount: '1.5' } }, 'demo.amount', /decimal string of base units/],
    ['a demo amount as a number', { ...base, demo: { amount: 100 } }, 'demo.amount', /decimal string/],
    ['a zero demo amount', { ...base, demo: { amount: '0' } }, 'demo.amount', /from 1 to 2100000000000000/],
    ['a demo amount beyond the money supply', { ...base, demo: { amount: '2100000000000001' } }, 'demo.amount', /from 1 to/],
    ['a zero demo interval', { ...base, demo: { intervalSeconds: 0 } }, 'demo.intervalSeconds', /from 1 to 3600/],
    ['an empty wallet password', { ...base, wallet: { password: '' } }, 'wallet.password', /non-empty string/],
    ['an empty wallet file', { ...base, wallet: { file: '' } }, 'wallet.file', /non-empty string/],
    ['a tiny mempool', { ...base, mempool: { maxBytes: 10 } }, 'mempool.maxBytes', /from 100000/],
    ['no unconfirmed ancestors allowed at all', { ...base, mempool: { maxAncestors: 0 } }, 'mempool.maxAncestors', /from 1 to 1000/],
    ['a fractional descendant size', { ...base, mempool: { maxDescendantBytes: 1.5 } }, 'mempool.maxDescendantBytes', /an integer from 1000/],
    ['a dataDir that is not a string', { ...base, dataDir: 5 }, 'dataDir', /non-empty string, got number 5/]
  ]

  it.each(cases)('%s', async (_what, raw, key, expected) => {
    const file = await configFile(raw)
    const err = failure(() => loadConfig(file))
    expect(err.file).toBe(file)
    expect(err.key).toBe(key)
    expect(err.message.startsWith(`${file}: ${key}: `)).toBe(true)
    expect(err.message).toMatch(expected)
  })

  it('a JSON document that is not an object', async () => {
    const file = await configFile('[1, 2]')
    expect(failure(() => loadConfig(file)).message).toBe(`${file}: (top level): expected a JSON object, got an array`)
  })
})

describe('API host', () => {
  it.each(['0.0.0.0', '192.168.1.5', '::'])('allows %s but warns that the API is reachable from other machines', async (host) => {
    const file = await configFile({ role: 'full', network: 'devnet', api: { host } })
    const config = loadConfig(file)
    expect(config.api.host).toBe(host)
    expect(config.warnings).toHaveLength(1)
    expect(config.warnings[0]).toContain(`api.host "${host}"`)
    expect(config.warnings[0]).toContain(file)
  })

  it.each(['127.0.0.1', '127.0.0.2', '::1', 'localhost'])('%s is loopback: no warning', async (host) => {
    expect(loadConfig(await configFile({ role: 'full', network: 'devnet', api: { host } })).warnings).toEqual([])
  })
})

describe('unreadable files and invalid JSON', () => {
  it('a missing file', () => {
    const file = join(dir, 'nope.json')
    const err = failure(() => loadConfig(file))
    expect(err.message).toBe(`${file}: cannot read the config file: no such file`)
    expect(err.key).toBeUndefined()
  })

  it('a directory', () => {
    expect(failure(() => loadConfig(dir)).message).toContain('is a directory')
  })

  it('a syntax error, with its line and column', async () => {
    const file = await configFile('{\n  "role": "full",\n  "network": "devnet",\n}\n')
    const err = failure(() => loadConfig(file))
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid JSON at line 4, column 1: `))
  })

  it('a truncated file', async () => {
    const file = await configFile('{\n  "role": "full",\n')
    expect(failure(() => loadConfig(file)).message).toContain('the file ends too early')
  })

  it('an empty file', async () => {
    const file = await configFile('')
    expect(failure(() => loadConfig(file)).message).toContain('invalid JSON')
  })

  it('a UTF-8 byte order mark is fine', async () => {
    const file = await configFile('\uFEFF{"role":"spv","network":"regtest"}')
    expect(loadConfig(file).role).toBe('spv')
  })
})
