// A daemon's life around the node: start the node, then its HTTP API, then
// announce both in <data-dir>/node.json; stop in the reverse order. Signals
// and exit codes are the `node` command's business, so this part can be
// tested in process with a fake node.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { startApiServer, type ApiServer } from '../api/server.js'
import { walletFilePath, type NodeConfig } from '../node/config.js'
import type { Logger } from '../telemetry/logger.js'
import type { RunningNode } from '../node/start-node.js'
import { CliError } from './errors.js'
import { checkListenAddresses, listenFailure } from './port-check.js'
import { DataDirLock, DataDirLockedError } from './data-dir-lock.js'
import { cookiePath, readNodeInfo, removeNodeInfo, writeNodeInfo, type NodeInfo } from './node-info.js'
import { version } from './version.js'

export type StartNode = (config: NodeConfig, log: Logger) => Promise<RunningNode>

export interface DaemonOptions {
  startNode: StartNode
  webDir: string
}

export interface RunningDaemon {
  info: NodeInfo
  node: RunningNode
  api: ApiServer
  /** Idempotent: removes node.json, closes the API, stops the node. */
  stop: () => Promise<void>
}

/** A port taken between the probe and the start: the same one line as the probe's. */
function listenError (config: NodeConfig, err: unknown): unknown {
  const line = listenFailure(config, err)
  return line === undefined ? err : new CliError(line, 1, { cause: err })
}

/** The data dir's lock (data-dir-lock.ts), not node.json's pid, says whether a node runs there. */
async function lockDataDir (dataDir: string): Promise<DataDirLock> {
  try {
    return await DataDirLock.acquire(dataDir)
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      const existing = await readNodeInfo(dataDir).catch(() => undefined)
      throw new CliError(`another node${existing !== undefined ? ` (pid ${existing.pid})` : ''} is already running with the data dir ${dataDir}; stop it first or use --data-dir`, 1, { cause: err })
    }
    throw err
  }
}

export async function startDaemon (config: NodeConfig, log: Logger, opts: DaemonOptions): Promise<RunningDaemon> {
  // A new data dir is created only once the ports are known to be free; an
  // existing one is locked first, so a second node on the same data dir
  // hears about the data dir rather than about the ports the first one holds.
  const fresh = !existsSync(config.dataDir)
  if (fresh) await checkListenAddresses(config)
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const lock = await lockDataDir(config.dataDir)
  const unlock = async (): Promise<void> => { await lock.release().catch((err: unknown) => log.warn('cannot release the data dir lock', { err })) }
  if (!fresh) {
    try {
      await checkListenAddresses(config)
    } catch (err) {
      await unlock()
      throw err
    }
  }

  let node: RunningNode
  try {
    node = await opts.startNode(config, log)
  } catch (err) {
    await unlock()
    throw listenError(config, err)
  }
  let api: ApiServer
  try {
    api = await startApiServer({
      node: node.api,
      host: config.api.host,
      port: config.api.port,
      allowedHosts: config.api.allowedHosts,
      cookieFile: cookiePath(config.dataDir),
      webDir: opts.webDir,
      log: log.child('api')
    })
  } catch (err) {
    await node.stop().catch((stopErr: unknown) => log.error('stopping the node failed', { err: stopErr }))
    await unlock()
    throw listenError(config, err)
  }

  const info: NodeInfo = {
    pid: process.pid,
    role: config.role,
    network: config.network,
    peerId: node.peerId,
    api: api.url,
    listen: node.listen,
    dataDir: config.dataDir,
    walletFile: walletFilePath(config),
    startedAt: Date.now(),
    version: version()
  }
  try {
    await writeNodeInfo(config.dataDir, info)
  } catch (err) {
    await api.close()
    await node.stop().catch((stopErr: unknown) => log.error('stopping the node failed', { err: stopErr }))
    await unlock()
    throw new CliError(`cannot write ${config.dataDir}/node.json: ${(err as Error).message}`, 1, { cause: err })
  }
  // work that need not delay readiness (a miner's search) starts now
  node.ready?.()

  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      await removeNodeInfo(config.dataDir).catch((err: unknown) => log.warn('cannot remove node.json', { err }))
      await api.close().catch((err: unknown) => log.error('closing the API failed', { err }))
      try {
        await node.stop()
      } finally {
        await unlock()
      }
    })()
    await stopping
  }
  return { info, node, api, stop }
}
