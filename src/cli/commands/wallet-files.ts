// `minicoin wallet backup` and `restore` work on the wallet file itself, not
// through the API: the recovery phrase never crosses HTTP, and reading the
// file needs the same access as the node's data dir (plus the password when
// the wallet is encrypted). Restore writes a new file and refuses while a
// node runs with that data dir or when a wallet file already exists.
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { getNetwork, type NetworkParams } from '../../core/params.js'
import { ConfigError, loadConfig, walletFilePath, type LoadedConfig } from '../../node/config.js'
import { KeystoreError, decryptKeystore, type KeystoreProtection } from '../../wallet/keystore.js'
import { loadKeystore } from '../../wallet/keystore-file.js'
import { MnemonicError, validateMnemonic } from '../../wallet/mnemonic.js'
import { Wallet } from '../../wallet/wallet.js'
import { COMMON_OPTIONS, expectPositionals, parse, parseCount } from '../args.js'
import { CliError, EXIT_USAGE, UsageError } from '../errors.js'
import type { CliIo } from '../io.js'
import { isDataDirLocked } from '../data-dir-lock.js'
import { readNodeInfo } from '../node-info.js'
import { promptSecret } from '../prompt.js'

const FILE_OPTIONS = {
  ...COMMON_OPTIONS,
  'data-dir': { type: 'string' },
  config: { type: 'string' },
  'wallet-file': { type: 'string' },
  'password-file': { type: 'string' }
} as const

interface WalletLocation { file: string, dataDir?: string, config?: LoadedConfig }

async function locate (values: { 'data-dir'?: string, config?: string, 'wallet-file'?: string }, io: CliIo, command: string): Promise<WalletLocation> {
  const given = ['data-dir', 'config', 'wallet-file'].filter(k => values[k as keyof typeof values] !== undefined)
  if (given.length === 0) throw new UsageError('which wallet? give --data-dir <dir>, --config <file> or --wallet-file <file>', command)
  if (values.config !== undefined && values['data-dir'] !== undefined) throw new UsageError('give --data-dir or --config, not both', command)
  let config: LoadedConfig | undefined
  if (values.config !== undefined) {
    try {
      config = loadConfig(resolve(io.cwd, values.config))
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.message, EXIT_USAGE)
      throw err
    }
  }
  const dataDir = values['data-dir'] !== undefined ? resolve(io.cwd, values['data-dir']) : config?.dataDir
  if (values['wallet-file'] !== undefined) return { file: resolve(io.cwd, values['wallet-file']), dataDir, config }
  if (config !== undefined) return { file: walletFilePath(config), dataDir, config }
  const info = await readNodeInfo(dataDir as string).catch(() => undefined)
  return { file: info?.walletFile ?? join(dataDir as string, 'wallet.json'), dataDir }
}

async function passwordFrom (values: { 'password-file'?: string }, io: CliIo, config: LoadedConfig | undefined): Promise<string | undefined> {
  if (values['password-file'] !== undefined) {
    let text: string
    try {
      text = await readFile(resolve(io.cwd, values['password-file']), 'utf8')
    } catch (err) {
      throw new CliError(`cannot read --password-file: ${(err as Error).message}`)
    }
    const line = text.split(/\r?\n/)[0]
    if (line === '') throw new CliError('--password-file: the first line is empty')
    return line
  }
  const fromEnv = io.env.MINICOIN_WALLET_PASSWORD
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  if (config?.wallet.password != null) return config.wallet.password
  return undefined
}

function keystoreFailure (err: unknown, file: string): never {
  if (err instanceof KeystoreError) {
    if (err.code === 'not-found') throw new CliError(`no wallet file at ${file}`)
    if (err.code === 'wrong-password') throw new CliError(`wrong password for the wallet ${file}`)
    throw new CliError(`${file}: ${err.message}`)
  }
  throw err
}

export async function runBackup (argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('wallet backup', argv, FILE_OPTIONS)
  expectPositionals(positionals, [], 'wallet backup')
  const { file, config } = await locate(values, io, 'wallet backup')
  let secret
  try {
    const keystore = await loadKeystore(file)
    let password: string | undefined
    if (keystore.encryption !== 'none') {
      password = await passwordFrom(values, io, config)
      if (password === undefined) {
        if (!io.stdinIsTTY) throw new UsageError('the wallet is encrypted: give --password-file <file> or set MINICOIN_WALLET_PASSWORD', 'wallet backup')
        password = await promptSecret(`password for ${file}: `)
      }
    }
    secret = (await decryptKeystore(keystore, password)).secret
  } catch (err) {
    if (err instanceof CliError) throw err
    keystoreFailure(err, file)
  }
  if (secret.hd === null) throw new CliError('this wallet holds only imported keys: it has no recovery phrase (back up the wallet file itself)')
  io.err('Recovery phrase — anyone who has these words can spend this wallet\'s coins. Write them down and keep them offline:')
  io.out(secret.hd.mnemonic)
  if (secret.imported.length > 0) io.err(`Note: ${secret.imported.length} imported key(s) are NOT covered by the phrase; back up the wallet file too.`)
  return 0
}

const RESTORE_OPTIONS = {
  ...FILE_OPTIONS,
  'mnemonic-file': { type: 'string' },
  addresses: { type: 'string' },
  network: { type: 'string' },
  unencrypted: { type: 'boolean' }
} as const

async function protectionFor (values: { 'password-file'?: string, unencrypted?: boolean }, io: CliIo, config: LoadedConfig | undefined): Promise<KeystoreProtection> {
  if (values.unencrypted === true) {
    if (values['password-file'] !== undefined) throw new UsageError('give --password-file or --unencrypted, not both', 'wallet restore')
    return { unencrypted: true }
  }
  const password = await passwordFrom(values, io, config)
  if (password !== undefined) return { password }
  if (config !== undefined && config.wallet.password === null) return { unencrypted: true }
  if (!io.stdinIsTTY) throw new UsageError('how should the wallet be protected? give --password-file <file>, set MINICOIN_WALLET_PASSWORD, or pass --unencrypted', 'wallet restore')
  const first = await promptSecret('new wallet password: ')
  if (first === '') throw new CliError('empty password; use --unencrypted for a wallet without one')
  if (await promptSecret('again: ') !== first) throw new CliError('the passwords differ')
  return { password: first }
}

export async function runRestore (argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('wallet restore', argv, RESTORE_OPTIONS)
  expectPositionals(positionals, [], 'wallet restore')
  const addresses = parseCount(values.addresses, '--addresses', 'wallet restore', 1, 10_000) ?? 20
  const { file, dataDir, config } = await locate(values, io, 'wallet restore')
  let params: NetworkParams
  try {
    params = getNetwork(values.network ?? config?.network ?? 'devnet')
  } catch (err) {
    throw new UsageError(`--network: ${(err as Error).message}`, 'wallet restore')
  }
  // the data dir's lock, not node.json's pid (which another process may have reused), says whether a node runs
  if (dataDir !== undefined && await isDataDirLocked(dataDir)) {
    const info = await readNodeInfo(dataDir).catch(() => undefined)
    throw new CliError(`a node${info !== undefined ? ` (pid ${info.pid})` : ''} is running with ${dataDir}: stop it before restoring its wallet`)
  }

  let phrase: string
  if (values['mnemonic-file'] !== undefined) {
    try {
      phrase = await readFile(resolve(io.cwd, values['mnemonic-file']), 'utf8')
    } catch (err) {
      throw new CliError(`cannot read --mnemonic-file: ${(err as Error).message}`)
    }
  } else {
    phrase = io.stdinIsTTY ? await promptSecret('recovery phrase: ') : await io.readStdin()
  }
  try {
    phrase = validateMnemonic(phrase)
  } catch (err) {
    if (err instanceof MnemonicError) throw new CliError(`not a valid recovery phrase: ${err.message}`)
    throw err
  }

  const protection = await protectionFor(values, io, config)
  let wallet: Wallet
  try {
    wallet = await Wallet.restore(file, phrase, { params, protection, addresses })
  } catch (err) {
    if (err instanceof KeystoreError && err.code === 'exists') {
      throw new CliError(`${file} already exists; it may hold coins, so it is never overwritten: move it away (keep a copy) and run restore again`)
    }
    keystoreFailure(err, file)
  }
  io.out(`restored the wallet to ${file}${'unencrypted' in protection ? ' (unencrypted, mode 0600)' : ' (encrypted)'}`)
  io.out(`first address: ${wallet.primaryAddress().address}`)
  return 0
}

/**
 * `wallet address --wallet-file <file>`: the receiving addresses of a wallet
 * file, read offline (no node needed, e.g. to check a restored or backed-up
 * file). An encrypted file needs its password, found as for backup.
 */
export async function runFileAddresses (values: { 'wallet-file'?: string, 'password-file'?: string, network?: string, json?: boolean }, io: CliIo): Promise<number> {
  const file = resolve(io.cwd, values['wallet-file'] as string)
  let params: NetworkParams
  try {
    params = getNetwork(values.network ?? 'devnet')
  } catch (err) {
    throw new UsageError(`--network: ${(err as Error).message}`, 'wallet address')
  }
  let wallet: Wallet
  try {
    const keystore = await loadKeystore(file)
    let password: string | undefined
    if (keystore.encryption !== 'none') {
      password = await passwordFrom(values, io, undefined)
      if (password === undefined) {
        if (!io.stdinIsTTY) throw new UsageError('the wallet is encrypted: give --password-file <file> or set MINICOIN_WALLET_PASSWORD', 'wallet address')
        password = await promptSecret(`password for ${file}: `)
      }
    }
    wallet = await Wallet.open(file, { params, password })
  } catch (err) {
    if (err instanceof CliError) throw err
    keystoreFailure(err, file)
  }
  const addresses = wallet.addressStrings()
  io.out(values.json === true ? JSON.stringify({ file, network: params.id, addresses }, null, 2) : addresses.join('\n'))
  return 0
}
