// Which running node a client command talks to: --api URL (+ --cookie FILE),
// or a data dir's node.json + .cookie (--data-dir, or a --config's dataDir),
// or, with none of these, the one node running under ./.data/.
import { readFile, readdir } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { ApiClient } from '../api/client.js'
import { CliError, EXIT_USAGE, UsageError } from './errors.js'
import type { CliIo } from './io.js'
import { cookiePath, isProcessAlive, readNodeInfo, type NodeInfo } from './node-info.js'

export const TARGET_OPTIONS = {
  api: { type: 'string' },
  cookie: { type: 'string' },
  'data-dir': { type: 'string' },
  config: { type: 'string' }
} as const

export const TARGET_HELP = `Which node:
  --data-dir <dir>   the node's data dir (reads <dir>/node.json and <dir>/.cookie)
  --config <file>    the node's config file (uses its dataDir)
  --api <url>        the API's URL, e.g. http://127.0.0.1:8101
  --cookie <file>    with --api: the token file for commands that change something
  With none of these: the node running under ./.data/, if there is exactly one.`

export interface TargetFlags { api?: string, cookie?: string, 'data-dir'?: string, config?: string }

export interface NodeTarget {
  url: string
  /** Where the token is, if known; read only when a command needs it. */
  cookieFile?: string
  info?: NodeInfo
  dataDir?: string
}

/** A data dir from --data-dir or --config, else undefined. */
export async function dataDirOf (flags: TargetFlags, io: CliIo, command: string): Promise<string | undefined> {
  if (flags['data-dir'] !== undefined && flags.config !== undefined) throw new UsageError('give --data-dir or --config, not both', command)
  if (flags['data-dir'] !== undefined) return resolve(io.cwd, flags['data-dir'])
  if (flags.config !== undefined) {
    // the config schema (zod) loads only for --config: `status --data-dir` and `--api` never need it
    const { ConfigError, loadConfig } = await import('../node/config.js')
    try {
      return loadConfig(resolve(io.cwd, flags.config)).dataDir
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.message, EXIT_USAGE)
      throw err
    }
  }
  return undefined
}

async function runningNodeIn (dataDir: string): Promise<NodeInfo> {
  let info: NodeInfo | undefined
  try {
    info = await readNodeInfo(dataDir)
  } catch (err) {
    throw new CliError(`cannot read ${join(dataDir, 'node.json')}: ${(err as Error).message}`)
  }
  if (info === undefined) throw new CliError(`no node is running with the data dir ${dataDir} (no node.json there); start one with 'minicoin node --config <file>'`)
  if (!isProcessAlive(info.pid)) throw new CliError(`the node of ${dataDir} (pid ${info.pid}) is not running any more; its node.json is stale`)
  return info
}

async function discover (io: CliIo, command: string): Promise<string> {
  const root = join(io.cwd, '.data')
  const entries = await readdir(root, { withFileTypes: true }).catch(() => [])
  const running: string[] = []
  for (const e of entries) {
    if (!e.isDirectory()) continue
    const info = await readNodeInfo(join(root, e.name)).catch(() => undefined)
    if (info !== undefined && isProcessAlive(info.pid)) running.push(join(root, e.name))
  }
  if (running.length === 1) return running[0]
  if (running.length === 0) throw new UsageError('no node given and none running under ./.data/: use --data-dir <dir>, --config <file> or --api <url>', command)
  throw new UsageError(`several nodes run under ./.data/ (${running.map(d => relative(io.cwd, d)).join(', ')}): choose one with --data-dir`, command)
}

export async function resolveTarget (flags: TargetFlags, io: CliIo, command: string): Promise<NodeTarget> {
  if (flags.api !== undefined) {
    let url: URL
    try {
      url = new URL(flags.api)
    } catch {
      throw new UsageError(`--api: not a URL: '${flags.api}' (expected e.g. http://127.0.0.1:8101)`, command)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--api: expected an http:// URL, got '${flags.api}'`, command)
    const dataDir = await dataDirOf(flags, io, command)
    const cookieFile = flags.cookie !== undefined ? resolve(io.cwd, flags.cookie) : dataDir !== undefined ? cookiePath(dataDir) : undefined
    return { url: url.toString().replace(/\/+$/, ''), cookieFile, dataDir }
  }
  if (flags.cookie !== undefined) throw new UsageError('--cookie goes with --api', command)
  const dataDir = await dataDirOf(flags, io, command) ?? await discover(io, command)
  const info = await runningNodeIn(dataDir)
  return { url: info.api, cookieFile: cookiePath(dataDir), info, dataDir }
}

/** The token for POST endpoints; fails with a helpful message when it cannot be found. */
export async function readToken (target: NodeTarget, command: string): Promise<string> {
  if (target.cookieFile === undefined) throw new UsageError('this command changes something and needs the node\'s token: add --cookie <data-dir>/.cookie (or use --data-dir)', command)
  let token: string
  try {
    token = (await readFile(target.cookieFile, 'utf8')).trim()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CliError(`cannot read the token file ${target.cookieFile}: ${code === 'ENOENT' ? 'no such file (is the node running?)' : code === 'EACCES' ? 'permission denied (run as the node\'s user)' : (err as Error).message}`)
  }
  if (token === '') throw new CliError(`the token file ${target.cookieFile} is empty`)
  return token
}

export function clientFor (target: NodeTarget, token?: string): ApiClient {
  return new ApiClient(target.url, { token })
}
