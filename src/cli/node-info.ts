// <data-dir>/node.json: how the CLI (and `minicoin devnet`) finds a running
// daemon. Written atomically by the daemon once its API listens, removed on
// a clean exit; a file whose pid is gone is stale (the node crashed).
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Role } from '../node/node-api.js'

export const NODE_INFO_FILE = 'node.json'
export const COOKIE_FILE = '.cookie'

export interface NodeInfo {
  pid: number
  role: Role
  network: string
  peerId: string
  /** Base URL of the HTTP API on loopback, e.g. http://127.0.0.1:8101 */
  api: string
  listen: string[]
  dataDir: string
  walletFile: string
  startedAt: number
  version: string
}

export function nodeInfoPath (dataDir: string): string {
  return join(dataDir, NODE_INFO_FILE)
}

export function cookiePath (dataDir: string): string {
  return join(dataDir, COOKIE_FILE)
}

export async function writeNodeInfo (dataDir: string, info: NodeInfo): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const file = nodeInfoPath(dataDir)
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o644, flag: 'wx' })
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/** Removes node.json if it is still ours (a newer daemon may have replaced it). */
export async function removeNodeInfo (dataDir: string, pid: number = process.pid): Promise<void> {
  const info = await readNodeInfo(dataDir).catch(() => undefined)
  if (info?.pid === pid) await rm(nodeInfoPath(dataDir), { force: true })
}

function checkInfo (v: unknown, file: string): NodeInfo {
  const o = v as Partial<NodeInfo> | null
  if (typeof o !== 'object' || o === null || !Number.isInteger(o.pid) || typeof o.api !== 'string' || !Array.isArray(o.listen)) {
    throw new Error(`${file} is not a node.json written by minicoin`)
  }
  return o as NodeInfo
}

/** The node.json of a data dir, or undefined when there is none. */
export async function readNodeInfo (dataDir: string): Promise<NodeInfo | undefined> {
  const file = nodeInfoPath(dataDir)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  return checkInfo(JSON.parse(text), file)
}

/** True when a process with this pid exists (signal 0 only checks). */
export function isProcessAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
