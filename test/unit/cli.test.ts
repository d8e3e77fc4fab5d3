import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { createServer, type AddressInfo } from 'node:net'
import { main, COMMANDS } from '../../src/cli/main.js'
import type { CliIo } from '../../src/cli/io.js'
import { parseNodeArgs } from '../../src/cli/commands/node.js'
import { UsageError } from '../../src/cli/errors.js'
import { formatCoins } from '../../src/cli/format.js'
import { loopbackDialAddress } from '../../src/cli/devnet.js'
import { startDaemon } from '../../src/cli/daemon.js'
import { DataDirLock } from '../../src/cli/data-dir-lock.js'
import { readNodeInfo, writeNodeInfo, type NodeInfo } from '../../src/cli/node-info.js'
import { startApiServer, type ApiServer } from '../../src/api/server.js'
import { loadConfig } from '../../src/node/config.js'
import { silentLogger } from '../../src/telemetry/logger.js'
import { Wallet } from '../../src/wallet/wallet.js'
import { devnet, regtest } from '../../src/core/params.js'
import type { RunningNode } from '../../src/node/start-node.js'
import { FAKE_PEER_ID, FakeNode, fakeAddress, fakeHash } from '../support/fake-node.js'

const REPO = resolve(import.meta.dirname, '..', '..')
const BIN = join(REPO, 'bin', 'minicoin.js')
const run = promisify(execFile)
const PHRASE_WORDS = 24

interface TestIo extends CliIo { stdout: () => string, stderr: () => string }

function testIo (opts: { cwd?: string, env?: NodeJS.ProcessEnv, stdin?: string } = {}): TestIo {
  const out: string[] = []
  const err: string[] = []
  return {
    out: (t) => { out.push(t) },
    err: (t) => { err.push(t) },
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    stdinIsTTY: false,
    readStdin: async () => opts.stdin ?? '',
    stdout: () => out.join('\n'),
    stderr: () => err.join('\n')
  }
}

async function cli (argv: string[], opts: Parameters<typeof testIo>[0] = {}): Promise<{ code: number, out: string, err: string }> {
  const io = testIo(opts)
  const code = await main(argv, io)
  return { code, out: io.stdout(), err: io.stderr() }
}

/** A process that lives until we kill it (a "running node" for pid checks). */
function sleeper (): ReturnType<typeof spawn> {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' })
}

async function deadPid (): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise(resolve => child.once('exit', resolve))
  return child.pid as number
}

/** A loopback port nothing listens on (just released by us). */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as AddressInfo).port
  await new Promise(resolve => server.close(resolve))
  return port
}

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'minicoin-cli-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

describe('help and version', () => {
  it('--help on the program, every command and every wallet subcommand', async () => {
    let r = await cli(['--help'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^Usage: minicoin <command>/)
    for (const name of Object.keys(COMMANDS)) {
      for (const argv of [[name, '--help'], [name, '-h'], ['help', name]]) {
        r = await cli(argv)
        expect(r.code, argv.join(' ')).toBe(0)
        expect(r.out).toMatch(new RegExp(`^Usage: minicoin ${name}`))
      }
    }
    for (const sub of ['address', 'balance', 'send', 'new-address', 'backup', 'restore']) {
      r = await cli(['wallet', sub, '--help'])
      expect(r.code, sub).toBe(0)
      expect(r.out).toMatch(new RegExp(`^Usage: minicoin wallet ${sub}`))
    }
    // --help wins over any mistake next to it.
    r = await cli(['node', '--bogus', '--help'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('--no-mdns')
  })

  it('the help texts document the node flags and how backup works', async () => {
    const node = (await cli(['node', '--help'])).out
    for (const flag of ['--config', '--data-dir', '--port', '--api-port', '--bootstrap', '--no-mdns']) expect(node).toContain(flag)
    const backup = (await cli(['wallet', 'backup', '--help'])).out
    expect(backup).toContain('recovery phrase')
    expect(backup).toContain('--password-file')
    expect(backup).toContain('never')
  })

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }
    expect((await cli(['--version'])).out).toBe(`minicoin ${pkg.version}`)
    expect((await cli(['-v'])).out).toBe(`minicoin ${pkg.version}`)
  })

  it('no command prints the help on stderr and exits 2', async () => {
    const r = await cli([])
    expect(r.code).toBe(2)
    expect(r.err).toContain('Usage: minicoin')
  })
})

describe('usage errors: one line, exit 2, no stack trace', () => {
  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/, "see 'minicoin --help'"],
    [['node'], /--config <file> is required/, "see 'minicoin node --help'"],
    [['node', '--config', 'x.json', '--port', '99999'], /--port: expected a port from 0 to 65535, got '99999'/, 'node --help'],
    [['node', '--config', 'x.json', '--bogus'], /Unknown option '--bogus'/, 'node --help'],
    [['node', '--config', 'x.json', 'extra'], /unexpected argument 'extra'/, 'node --help'],
    [['wallet', 'fly'], /unknown wallet command 'fly'/, 'wallet --help'],
    [['wallet', 'send', fakeAddress(1)], /missing <amount>/, 'wallet send --help'],
    // amounts: MC with decimals, base units only with the suffix sat; bad ones in any position
    [['wallet', 'send', fakeAddress(1), 'ten', '--data-dir', '/nonexistent'], /<amount>: expected MC with up to 8 decimals such as 1\.5, or base units with the suffix sat such as 150000000sat; got 'ten'/, 'wallet send --help'],
    [['wallet', 'send', fakeAddress(1), '1.5.2', '--data-dir', '/nonexistent'], /<amount>: expected MC .* got '1\.5\.2'/, 'wallet send --help'],
    [['wallet', 'send', fakeAddress(1), '1e3', '--data-dir', '/nonexistent'], /<amount>: expected MC .* got '1e3'/, 'wallet send --help'],
    [['wallet', 'send', fakeAddress(1), '0.000000001', '--data-dir', '/nonexistent'], /<amount>: MC has 8 decimals at most/, 'wallet send --help'],
    [['wallet', 'send', fakeAddress(1), '0', '--data-dir', '/nonexistent'], /<amount>: must be positive, got '0'/, 'wallet send --help'],
    [['wallet', 'send', fakeAddress(1), '0sat', '--data-dir', '/nonexistent'], /<amount>: must be positive, got '0sat'/, 'wallet send --help'],
    [['wallet', 'send', fakeAddress(1), '-5', '--data-dir', '/nonexistent'], /<amount>: must be positive, got '-5'/, 'wallet send --help'],
    [['wallet', 'send', '--data-dir', '/nonexistent', fakeAddress(1), '-0.5'], /<amount>: must be positive, got '-0\.5'/, 'wallet send --help'],
    [['wallet', 'send', fakeAddress(1), '10', '--fee', '-1', '--data-dir', '/nonexistent'], /--fee: cannot be negative, got '-1'/, 'wallet send --help'],
    [['wallet', 'send', fakeAddress(1), '10', '--fee=-0.1', '--data-dir', '/nonexistent'], /--fee: cannot be negative, got '-0\.1'/, 'wallet send --help'],
    [['wallet', 'send', fakeAddress(1), '10', '--fee', 'lots', '--data-dir', '/nonexistent'], /--fee: expected MC .* got 'lots'/, 'wallet send --help'],
    [['node', '--config', 'x.json', '--port', '-1'], /--port: expected a port from 0 to 65535, got '-1'/, 'node --help'],
    [['status', '--api', 'not a url'], /--api: not a URL/, 'status --help'],
    [['status', '--data-dir', 'a', '--config', 'b'], /not both/, 'status --help'],
    [['wallet', 'backup'], /which wallet\?/, 'wallet backup --help'],
    [['devnet', 'now'], /unexpected argument 'now'/, 'devnet --help']
  ])('%j', async (argv, message, hint) => {
    const r = await cli(argv, { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/^minicoin: error: /)
    expect(r.err).toMatch(message)
    expect(r.err).toContain(hint)
    expect(r.err).not.toMatch(/\n\s+at /)
  })

  it('--debug adds the stack trace', async () => {
    const r = await cli(['node', '--debug'])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/\n\s+at /)
  })

  it('a bad config file is reported with its file and key, exit 2', async () => {
    const file = join(dir, 'bad.json')
    await writeFile(file, JSON.stringify({ role: 'miner', network: 'devnet', p2p: { port: 70000 } }))
    const r = await cli(['node', '--config', file])
    expect(r.code).toBe(2)
    expect(r.err).toBe(`minicoin: error: ${file}: p2p.port: expected an integer from 0 to 65535, got number 70000`)
  })
})

describe('node command arguments', () => {
  it('map to config overrides', () => {
    const a = `/ip4/127.0.0.1/tcp/4001/p2p/${FAKE_PEER_ID}`
    const b = `/ip4/127.0.0.1/tcp/4002/p2p/${FAKE_PEER_ID}`
    expect(parseNodeArgs(['--config', 'c.json', '--data-dir', 'd', '--port', '0', '--api-port', '8101', '--bootstrap', a, '--bootstrap', b, '--no-mdns', '--log-level', 'warn'])).toEqual({
      configPath: 'c.json',
      overrides: { dataDir: 'd', port: 0, apiPort: 8101, bootstrap: [a, b], mdns: false, logLevel: 'warn' },
      debug: false
    })
    expect(parseNodeArgs(['--config', 'c.json'])).toEqual({ configPath: 'c.json', overrides: {}, debug: false })
    expect(parseNodeArgs(['--config=c.json', '--debug']).overrides).toEqual({ logLevel: 'debug' })
    expect(() => parseNodeArgs(['--config', 'c.json', '--log-level', 'loud'])).toThrow(UsageError)
    expect(() => parseNodeArgs(['--config', 'c.json', '--api-port', 'x'])).toThrow(/--api-port/)
  })
})

describe('helpers', () => {
  it('formatCoins moves the decimal point without floats', () => {
    expect(formatCoins('5000000000')).toBe('50.00000000')
    expect(formatCoins('1')).toBe('0.00000001')
    expect(formatCoins('0')).toBe('0.00000000')
    expect(formatCoins('-150000000')).toBe('-1.50000000')
    expect(formatCoins('2100000000000000')).toBe('21000000.00000000')
  })

  it('loopbackDialAddress picks the 127.0.0.1 TCP listener with the peer id', () => {
    const info = { peerId: FAKE_PEER_ID, listen: [`/ip4/192.0.2.2/tcp/5000/p2p/${FAKE_PEER_ID}`, `/ip4/127.0.0.1/tcp/5000/p2p/${FAKE_PEER_ID}`] } as NodeInfo
    expect(loopbackDialAddress(info)).toBe(`/ip4/127.0.0.1/tcp/5000/p2p/${FAKE_PEER_ID}`)
    expect(loopbackDialAddress({ ...info, listen: ['/ip4/127.0.0.1/tcp/5001'] })).toBe(`/ip4/127.0.0.1/tcp/5001/p2p/${FAKE_PEER_ID}`)
    expect(loopbackDialAddress({ ...info, listen: ['/ip4/0.0.0.0/tcp/5002'] })).toBe(`/ip4/127.0.0.1/tcp/5002/p2p/${FAKE_PEER_ID}`)
    expect(() => loopbackDialAddress({ ...info, listen: [] })).toThrow(/no TCP address/)
  })
})

describe('status and wallet against a running node (fake node behind the real API)', () => {
  let node: FakeNode
  let api: ApiServer
  let dataDir: string

  beforeAll(async () => {
    dataDir = join(dir, 'running', '.data', 'miner')
    node = new FakeNode()
    api = await startApiServer({ node, host: '127.0.0.1', port: 0, cookieFile: join(dataDir, '.cookie'), webDir: join(dir, 'web'), log: silentLogger })
    await writeNodeInfo(dataDir, {
      pid: process.pid, role: 'miner', network: 'devnet', peerId: FAKE_PEER_ID, api: api.url, listen: [], dataDir,
      walletFile: join(dataDir, 'wallet.json'), startedAt: Date.now(), version: '0.1.0'
    })
  })
  afterAll(async () => { await api.close() })

  it('status prints a summary; --json the API\'s JSON', async () => {
    let r = await cli(['status', '--data-dir', dataDir])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^role +miner \(devnet\)$/m)
    expect(r.out).toMatch(/^height +12$/m)
    expect(r.out).toMatch(/^mining +on, 1 thread, 1000 H\/s, 5 blocks mined$/m)
    expect(r.out).toContain(`dashboard  ${api.url}/`)
    r = await cli(['status', '--data-dir', dataDir, '--json'])
    expect(JSON.parse(r.out)).toMatchObject({ role: 'miner', height: 12, tip: fakeHash(12) })
  })

  it('finds the only node under ./.data/ without flags, and --api works too', async () => {
    let r = await cli(['status'], { cwd: join(dir, 'running') })
    expect(r.code).toBe(0)
    expect(r.out).toContain('miner (devnet)')
    r = await cli(['status', '--api', api.url])
    expect(r.code).toBe(0)
    r = await cli(['status'], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.err).toContain('none running under ./.data/')
  })

  it('wallet address, balance, new-address, send', async () => {
    let r = await cli(['wallet', 'address', '--data-dir', dataDir])
    expect(r.out).toBe(node.walletAddresses.join('\n'))
    r = await cli(['wallet', 'balance', '--data-dir', dataDir])
    expect(r.out).toMatch(/^confirmed +50\.00000000 MC \(5000000000 base units\)$/m)
    expect(r.out).toMatch(/^immature +25\.00000000 MC/m)
    r = await cli(['wallet', 'new-address', '--data-dir', dataDir])
    expect(r.code).toBe(0)
    expect(r.out).toBe(node.walletAddresses.at(-1))
    const to = fakeAddress(42)
    // coins with decimals, as bitcoin-cli takes BTC; the fee paid is always printed
    r = await cli(['wallet', 'send', to, '1', '--fee', '0.000005', '--data-dir', dataDir])
    expect(r.code).toBe(0)
    expect(r.out).toBe(fakeHash(7777, 'f0'))
    expect(node.callsOf('send').at(-1)).toEqual([to, 100000000n, 500n])
    expect(r.err).toBe(`sent 1.00000000 MC (100000000 base units) to ${to}, fee 0.00000500 MC (500 base units)`)
    r = await cli(['wallet', 'send', to, '.25', '--data-dir', dataDir])
    expect(node.callsOf('send').at(-1)).toEqual([to, 25000000n, undefined])
    expect(r.err).toContain('fee 0.00000226 MC (226 base units)')
    // base units only with the explicit suffix
    r = await cli(['wallet', 'send', to, '150000000sat', '--fee', '300sat', '--data-dir', dataDir])
    expect(r.code).toBe(0)
    expect(node.callsOf('send').at(-1)).toEqual([to, 150000000n, 300n])
  })

  it('reports the node\'s refusal (exit 1, no stack)', async () => {
    const r = await cli(['wallet', 'send', fakeAddress(42), '90', '--data-dir', dataDir])
    expect(r.code).toBe(1)
    expect(r.err).toBe('minicoin: error: the node refused: insufficient funds: 5000000000 available, 9000000000 needed (insufficient-funds)')
    const bad = await cli(['wallet', 'send', 'mc1nope', '5', '--data-dir', dataDir])
    expect(bad.code).toBe(1)
    expect(bad.err).toContain('(bad-address)')
  })

  it('commands that change something need the token: --api alone is not enough, --cookie is', async () => {
    let r = await cli(['wallet', 'new-address', '--api', api.url])
    expect(r.code).toBe(2)
    expect(r.err).toContain('--cookie')
    r = await cli(['wallet', 'new-address', '--api', api.url, '--cookie', join(dataDir, '.cookie')])
    expect(r.code).toBe(0)
    await writeFile(join(dir, 'wrong-cookie'), 'f'.repeat(64))
    r = await cli(['wallet', 'new-address', '--api', api.url, '--cookie', join(dir, 'wrong-cookie')])
    expect(r.code).toBe(1)
    expect(r.err).toContain('(unauthorized)')
  })

  it('explains a stale node.json and an unreachable node', async () => {
    const stale = join(dir, 'stale')
    await writeNodeInfo(stale, { pid: await deadPid(), role: 'full', network: 'devnet', peerId: FAKE_PEER_ID, api: 'http://127.0.0.1:1', listen: [], dataDir: stale, walletFile: '', startedAt: 0, version: '' })
    let r = await cli(['status', '--data-dir', stale])
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/is not running any more; its node.json is stale/)
    const url = `http://127.0.0.1:${await closedPort()}`
    r = await cli(['status', '--api', url])
    expect(r.code).toBe(1)
    expect(r.err).toBe(`minicoin: error: cannot reach the node at ${url}: connection refused (is the node running?)`)
  })
})

describe('wallet backup and restore (wallet files)', () => {
  let plainFile: string
  let plainPhrase: string

  beforeAll(async () => {
    plainFile = join(dir, 'w-plain', 'wallet.json')
    const wallet = await Wallet.create(plainFile, { params: devnet, protection: { unencrypted: true } })
    plainPhrase = wallet.exportMnemonic()
  })

  it('backup prints the recovery phrase of an unencrypted wallet (found via --data-dir)', async () => {
    const r = await cli(['wallet', 'backup', '--data-dir', join(dir, 'w-plain')])
    expect(r.code).toBe(0)
    expect(r.out).toBe(plainPhrase)
    expect(r.out.split(' ')).toHaveLength(PHRASE_WORDS)
    expect(r.err).toContain('anyone who has these words can spend')
  })

  it('restore recreates the same wallet; never overwrites; refuses a bad phrase', async () => {
    const target = join(dir, 'restored', 'wallet.json')
    await writeFile(join(dir, 'phrase.txt'), plainPhrase + '\n')
    let r = await cli(['wallet', 'restore', '--wallet-file', target, '--mnemonic-file', join(dir, 'phrase.txt'), '--unencrypted', '--addresses', '3'])
    expect(r.code).toBe(0)
    const original = await Wallet.open(plainFile, { params: devnet })
    expect(r.out).toContain(`first address: ${original.primaryAddress().address}`)
    const restored = await Wallet.open(target, { params: devnet })
    expect(restored.exportMnemonic()).toBe(plainPhrase)
    expect(restored.addressStrings()).toHaveLength(3)
    expect((await stat(target)).mode & 0o777).toBe(0o600)
    // the restored file's addresses, offline: no node runs anywhere here
    r = await cli(['wallet', 'address', '--wallet-file', target])
    expect(r.code, r.err).toBe(0)
    expect(r.out.split('\n')).toEqual(restored.addressStrings())
    r = await cli(['wallet', 'address', '--wallet-file', target, '--data-dir', dir])
    expect(r.code).toBe(2)
    expect(r.err).toContain('give --wallet-file (reads the file) or --data-dir (asks the node), not both')
    r = await cli(['wallet', 'restore', '--wallet-file', target, '--mnemonic-file', join(dir, 'phrase.txt'), '--unencrypted'])
    expect(r.code).toBe(1)
    expect(r.err).toContain('already exists')
    r = await cli(['wallet', 'restore', '--wallet-file', join(dir, 'x.json'), '--unencrypted'], { stdin: 'abandon ability able' })
    expect(r.code).toBe(1)
    expect(r.err).toContain('not a valid recovery phrase')
  })

  it('an encrypted wallet: restore from stdin with a password, backup needs the password', async () => {
    const target = join(dir, 'enc', 'wallet.json')
    const env = { MINICOIN_WALLET_PASSWORD: 'correct horse' }
    let r = await cli(['wallet', 'restore', '--wallet-file', target], { stdin: plainPhrase, env })
    expect(r.code).toBe(0)
    expect(r.out).toContain('(encrypted)')
    r = await cli(['wallet', 'backup', '--wallet-file', target], { env })
    expect(r.out).toBe(plainPhrase)
    r = await cli(['wallet', 'address', '--wallet-file', target, '--network', 'regtest'], { env })
    expect(r.code, r.err).toBe(0)
    expect(r.out.split('\n')[0]).toBe((await Wallet.open(target, { params: regtest, password: 'correct horse' })).primaryAddress().address)
    r = await cli(['wallet', 'address', '--wallet-file', target])
    expect(r.code).toBe(2)
    expect(r.err).toContain('the wallet is encrypted')
    await writeFile(join(dir, 'pw'), 'correct horse\n')
    r = await cli(['wallet', 'backup', '--wallet-file', target, '--password-file', join(dir, 'pw')])
    expect(r.out).toBe(plainPhrase)
    r = await cli(['wallet', 'backup', '--wallet-file', target], { env: { MINICOIN_WALLET_PASSWORD: 'wrong' } })
    expect(r.code).toBe(1)
    expect(r.err).toBe(`minicoin: error: wrong password for the wallet ${target}`)
    r = await cli(['wallet', 'backup', '--wallet-file', target])
    expect(r.code).toBe(2)
    expect(r.err).toContain('the wallet is encrypted')
    r = await cli(['wallet', 'restore', '--wallet-file', join(dir, 'enc2.json')], { stdin: plainPhrase })
    expect(r.code).toBe(2)
    expect(r.err).toContain('how should the wallet be protected')
  })

  it('backup of a missing wallet file, restore while the node runs', async () => {
    let r = await cli(['wallet', 'backup', '--wallet-file', join(dir, 'none.json')])
    expect(r.code).toBe(1)
    expect(r.err).toBe(`minicoin: error: no wallet file at ${join(dir, 'none.json')}`)
    const running = join(dir, 'busy')
    // a running daemon holds its data dir's lock (what decides, not node.json's pid)
    const lock = await DataDirLock.acquire(running)
    try {
      await writeNodeInfo(running, { pid: process.pid, role: 'full', network: 'devnet', peerId: FAKE_PEER_ID, api: 'http://127.0.0.1:1', listen: [], dataDir: running, walletFile: join(running, 'wallet.json'), startedAt: 0, version: '' })
      r = await cli(['wallet', 'restore', '--data-dir', running, '--unencrypted'], { stdin: plainPhrase })
      expect(r.code).toBe(1)
      expect(r.err).toContain('stop it before restoring')
    } finally {
      await lock.release()
    }
  })
})

describe('the daemon around a node', () => {
  const fakeRunning = (node: FakeNode, onStop: () => void = () => {}): RunningNode => ({
    api: node,
    peerId: FAKE_PEER_ID,
    listen: [`/ip4/127.0.0.1/tcp/4001/p2p/${FAKE_PEER_ID}`],
    stop: async () => { onStop() }
  })

  async function configIn (dataDir: string): Promise<ReturnType<typeof loadConfig>> {
    const file = join(dir, `daemon-${Math.random().toString(16).slice(2)}.json`)
    await writeFile(file, JSON.stringify({ role: 'miner', network: 'devnet', dataDir, api: { port: 0 }, p2p: { port: 0, mdns: false } }))
    return loadConfig(file)
  }

  it('starts the API, writes node.json and the cookie; stop removes them and stops the node', async () => {
    const dataDir = join(dir, 'daemon-a')
    const node = new FakeNode()
    let stopped = 0
    const daemon = await startDaemon(await configIn(dataDir), silentLogger, { startNode: async () => fakeRunning(node, () => { stopped++ }), webDir: join(dir, 'web') })
    const info = await readNodeInfo(dataDir)
    expect(info).toMatchObject({ pid: process.pid, role: 'miner', network: 'devnet', peerId: FAKE_PEER_ID, api: daemon.api.url, listen: [`/ip4/127.0.0.1/tcp/4001/p2p/${FAKE_PEER_ID}`], walletFile: join(dataDir, 'wallet.json') })
    expect(info?.api).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+$/)
    expect((await readFile(join(dataDir, '.cookie'), 'utf8'))).toBe(daemon.api.token)
    expect((await fetch(`${info?.api ?? ''}/api/status`)).status).toBe(200)
    await daemon.stop()
    await daemon.stop()
    expect(stopped).toBe(1)
    expect(await readNodeInfo(dataDir)).toBeUndefined()
    await expect(stat(join(dataDir, '.cookie'))).rejects.toThrow()
  })

  it('refuses to start when another live daemon holds the data dir\'s lock', async () => {
    const dataDir = join(dir, 'daemon-b')
    const proc = sleeper()
    const lock = await DataDirLock.acquire(dataDir)
    try {
      await writeNodeInfo(dataDir, { pid: proc.pid as number, role: 'full', network: 'devnet', peerId: FAKE_PEER_ID, api: 'http://127.0.0.1:1', listen: [], dataDir, walletFile: '', startedAt: 0, version: '' })
      let started = false
      await expect(startDaemon(await configIn(dataDir), silentLogger, { startNode: async () => { started = true; return fakeRunning(new FakeNode()) }, webDir: dir }))
        .rejects.toThrow(`another node (pid ${proc.pid}) is already running`)
      expect(started).toBe(false)
    } finally {
      await lock.release()
      proc.kill()
    }
    // A stale node.json (its process is gone) does not block.
    await writeNodeInfo(dataDir, { pid: await deadPid(), role: 'full', network: 'devnet', peerId: FAKE_PEER_ID, api: 'http://127.0.0.1:1', listen: [], dataDir, walletFile: '', startedAt: 0, version: '' })
    const daemon = await startDaemon(await configIn(dataDir), silentLogger, { startNode: async () => fakeRunning(new FakeNode()), webDir: dir })
    await daemon.stop()
  })

  it('refuses a taken API port before creating the data dir or starting the node', async () => {
    const blocker = await startApiServer({ node: new FakeNode(), host: '127.0.0.1', port: 0, cookieFile: join(dir, 'blocker', '.cookie'), webDir: dir, log: silentLogger })
    try {
      const config = await configIn(join(dir, 'daemon-b2'))
      config.api.port = blocker.port
      let started = false
      await expect(startDaemon(config, silentLogger, { startNode: async () => { started = true; return fakeRunning(new FakeNode()) }, webDir: dir }))
        .rejects.toThrow(`the API address 127.0.0.1:${blocker.port} is already in use (another node or program listens there); choose another port with --api-port <n>`)
      expect(started).toBe(false)
      expect(existsSync(join(dir, 'daemon-b2'))).toBe(false)
    } finally {
      await blocker.close()
    }
  })

  it('stops the node again when the API cannot start (port taken after the check)', async () => {
    const config = await configIn(join(dir, 'daemon-c'))
    const free = createServer()
    await new Promise<void>(resolve => free.listen(0, '127.0.0.1', resolve))
    config.api.port = (free.address() as AddressInfo).port
    await new Promise(resolve => free.close(resolve))
    let blocker: ApiServer | undefined
    let stopped = false
    try {
      // another program takes the port while the node starts
      const startNode = async (): Promise<RunningNode> => {
        blocker = await startApiServer({ node: new FakeNode(), host: '127.0.0.1', port: config.api.port, cookieFile: join(dir, 'blocker', '.cookie'), webDir: dir, log: silentLogger })
        return fakeRunning(new FakeNode(), () => { stopped = true })
      }
      await expect(startDaemon(config, silentLogger, { startNode, webDir: dir })).rejects.toThrow(/^the API address 127\.0\.0\.1:[0-9]+ is already in use/)
      expect(stopped).toBe(true)
      expect(await readNodeInfo(join(dir, 'daemon-c'))).toBeUndefined()
    } finally {
      await blocker?.close()
    }
  })
})

describe('bin/minicoin.js as a process', () => {
  it('--help and --version exit 0', async () => {
    const help = await run(process.execPath, [BIN, '--help'])
    expect(help.stdout).toContain('Usage: minicoin <command>')
    const version = await run(process.execPath, [BIN, '--version'])
    expect(version.stdout.trim()).toMatch(/^minicoin \d+\.\d+\.\d+/)
  })

  it('errors exit non-zero with one line and no stack trace', async () => {
    for (const [argv, code, message] of [
      [['nope'], 2, "unknown command 'nope'"],
      [['node', '--config', join(dir, 'missing.json')], 2, 'cannot read the config file: no such file'],
      [['status', '--data-dir', join(dir, 'nothing-here')], 1, 'no node is running with the data dir']
    ] as const) {
      const err = await run(process.execPath, [BIN, ...argv]).then(() => undefined, (e: { code: number, stderr: string }) => e)
      expect(err?.code, argv.join(' ')).toBe(code)
      expect(err?.stderr).toContain(`minicoin: error: `)
      expect(err?.stderr).toContain(message)
      expect(err?.stderr).not.toMatch(/\n\s+at /)
    }
  })

  it('--debug shows the stack', async () => {
    const err = await run(process.execPath, [BIN, 'status', '--debug', '--data-dir', join(dir, 'nothing-here')]).then(() => undefined, (e: { stderr: string }) => e)
    expect(err?.stderr).toMatch(/\n\s+at /)
  })
})

