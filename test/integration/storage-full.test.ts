// A full disk: every store raises a typed StorageError, memory never runs
// ahead of what is on disk, and a daemon stops with exit code 1 and a clear
// log line (Bitcoin Core shuts down on a failed write). Runs on a small tmpfs
// the test mounts as root and always unmounts.
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { blockHash } from '../../src/core/block.js'
import { toHex } from '../../src/core/bytes.js'
import { regtest } from '../../src/core/params.js'
import type { Block } from '../../src/core/types.js'
import { Chain } from '../../src/chain/chain.js'
import { StorageError } from '../../src/chain/store.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { Mempool } from '../../src/mempool/mempool.js'
import { HeaderChain } from '../../src/spv/header-chain.js'
import { pendingFile } from '../../src/spv/pending-file.js'
import { NodeWallet } from '../../src/node/wallet/node-wallet.js'
import { Wallet } from '../../src/wallet/wallet.js'
import { genesisTip, mineChain, newKey, spend, tempDir, type Key } from '../../bench/support/chain-fixtures.js'
import { readyDaemon, run, writeConfig } from '../../bench/support/daemons.js'
import { Cleanup } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import { canMountTmpfs, mountTmpfs, type Tmpfs } from '../support/tmpfs.js'

const ROOT = canMountTmpfs()
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.reverse()) {
    try { await c() } catch (err) { console.error('cleanup failed', err) }
  }
  cleanups.length = 0
})

function tmpfs (sizeKiB: number): Tmpfs {
  const fs = mountTmpfs(sizeKiB)
  cleanups.push(() => fs.unmount())
  return fs
}

/** Feeds blocks until one fails to be stored; returns how many were stored and the error. */
async function untilStorageFails (chain: Chain, blocks: Block[]): Promise<{ stored: number, err: unknown }> {
  for (let i = 0; i < blocks.length; i++) {
    try {
      await chain.processBlock(blocks[i])
    } catch (err) {
      return { stored: i, err }
    }
  }
  return { stored: blocks.length, err: undefined }
}

describe.skipIf(!ROOT)('storage errors on a full disk (needs root to mount a tmpfs)', () => {
  it('chain: a failed block write leaves no trace in memory, refuses later writes, and a reopen has exactly what was acknowledged', async () => {
    const fs = tmpfs(4096)
    const location = join(fs.path, 'chain')
    const chain = await Chain.open({ location, params: regtest, verifier: new NobleVerifier() })
    let open = true
    cleanups.push(async () => { if (open) await chain.close() })
    const failures: StorageError[] = []
    chain.on('storageError', err => failures.push(err))
    const payTo = newKey()
    const { blocks } = mineChain(genesisTip(), 400, payTo)
    for (const b of blocks.slice(0, 3)) await chain.processBlock(b)
    fs.fill()
    const { stored, err } = await untilStorageFails(chain, blocks.slice(3))
    expect(err).toBeInstanceOf(StorageError)
    expect((err as Error).message).toMatch(/(chain database|block files) write failed at .*chain/)
    const acknowledged = 3 + stored
    const failed = blocks[acknowledged]
    // nothing of the failed block in memory: not in the index, not the tip
    expect(chain.height).toBe(acknowledged)
    expect(chain.getEntry(toHex(blockHash(failed.header)))).toBeUndefined()
    expect(failures).toHaveLength(1)
    // the store refuses every later write, even with room again
    fs.free()
    await expect(chain.processBlock(failed)).rejects.toBeInstanceOf(StorageError)
    expect(chain.height).toBe(acknowledged)
    await chain.close()
    open = false

    const reopened = await Chain.open({ location, params: regtest, verifier: new NobleVerifier() })
    try {
      expect(reopened.height).toBe(acknowledged)
      expect(reopened.tip.hashHex).toBe(toHex(blockHash(blocks[acknowledged - 1].header)))
      expect((await reopened.processBlock(failed)).status).toBe('connected')
    } finally {
      await reopened.close()
    }
  })

  it('node wallet: a failed write is fatal, the balance is not ahead of its database, and a reopen catches up', async () => {
    const fs = tmpfs(2048)
    const dir = tempDir('minicoin-wallet-full-')
    cleanups.push(() => dir.remove())
    const chain = await Chain.open({ location: join(dir.path, 'chain'), params: regtest, verifier: new NobleVerifier() })
    cleanups.push(async () => await chain.close())
    const pool = new Mempool({ chain, verifier: new NobleVerifier() })
    const keys = await Wallet.create(join(dir.path, 'wallet.json'), { params: regtest, protection: { unencrypted: true } })
    const fatal: Error[] = []
    const location = join(fs.path, 'wallet-db')
    const w = await NodeWallet.open({ wallet: keys, chain, mempool: pool, location, confirmations: 1, onFatal: err => fatal.push(err) })
    let open = true
    cleanups.push(async () => { if (open) await w.close() })
    const mine = { address: keys.primaryAddress().hash } as unknown as Key
    const { blocks } = mineChain(genesisTip(), 600, mine)
    fs.fill()
    let connected = 0
    for (const b of blocks) {
      await chain.processBlock(b)
      connected++
      const ok = await w.synced().then(() => true, () => false)
      if (!ok) break
    }
    expect(fatal).toHaveLength(1)
    expect(fatal[0]).toBeInstanceOf(StorageError)
    expect(fatal[0].message).toMatch(/wallet database write failed/)
    await expect(w.synced()).rejects.toBe(fatal[0])
    // the wallet shows the last block it stored, not the chain's tip
    const shown = w.height
    expect(shown).toBe(connected - 1)
    const history = await w.transactions(1000)
    expect(history).toHaveLength(shown)
    await w.close()
    open = false

    fs.free()
    const reopened = await NodeWallet.open({ wallet: keys, chain, mempool: pool, location, confirmations: 1 })
    try {
      expect(reopened.height).toBe(chain.height)
      expect(await reopened.transactions(1000)).toHaveLength(chain.height)
    } finally {
      await reopened.close()
    }
  })

  it('header chain: a failed write keeps the tip where the disk is and refuses later batches', async () => {
    const fs = tmpfs(2048)
    const headers = await HeaderChain.open({ location: join(fs.path, 'headers'), params: regtest })
    cleanups.push(async () => await headers.close())
    const failures: StorageError[] = []
    headers.on('storageError', err => failures.push(err))
    const { blocks } = mineChain(genesisTip(), 3000, newKey())
    fs.fill()
    let err: unknown
    let i = 0
    for (; i < blocks.length; i += 10) {
      const before = headers.height
      try {
        await headers.processHeaders(blocks.slice(i, i + 10).map(b => b.header))
      } catch (e) {
        err = e
        expect(headers.height).toBe(before)
        break
      }
    }
    expect(err).toBeInstanceOf(StorageError)
    expect((err as Error).message).toMatch(/header database write failed/)
    expect(failures).toHaveLength(1)
    fs.free()
    await expect(headers.processHeaders(blocks.slice(i, i + 10).map(b => b.header))).rejects.toBeInstanceOf(StorageError)
  })

  it('pending file: a failed save is a StorageError, reported before it is thrown', () => {
    const fs = tmpfs(256)
    const reported: StorageError[] = []
    const file = pendingFile(join(fs.path, 'pending-txs.json'), regtest, { onFailure: err => reported.push(err) })
    const key = newKey()
    const { coinbases } = mineChain(genesisTip(), 1, key)
    const tx = spend([coinbases[0]], [{ address: key.address, amount: 1000n }])
    file.save([{ tx, publishedAt: 1 }])
    fs.fill()
    const many = Array.from({ length: 200 }, (_, i) => ({ tx, publishedAt: i }))
    expect(() => file.save(many)).toThrow(StorageError)
    expect(reported).toHaveLength(1)
    expect(reported[0].message).toMatch(/pending transactions file write failed/)
  })

  it('daemon: a miner whose disk fills stops with exit code 1 and a clear log line; its data dir reopens', async () => {
    const fs = tmpfs(8192)
    const dir = tempDir('minicoin-daemon-full-')
    cleanups.push(() => dir.remove())
    const cleanup = new Cleanup()
    cleanups.push(async () => await cleanup.run())
    const dataDir = join(fs.path, 'data')
    mkdirSync(dataDir)
    const config = writeConfig(dir.path, 'miner', { dataDir, mining: { enabled: true, threads: 1 } })
    const proc = run(['node', '--config', config], cleanup)
    const daemon = await readyDaemon(proc, dataDir)
    await waitFor(async () => (await daemon.api.get<{ height: number }>('/api/status')).height >= 3, 'a few mined blocks', 60_000)
    fs.fill()
    const exit = await Promise.race([proc.exited, new Promise<'running'>(resolve => setTimeout(() => resolve('running'), 90_000))])
    expect(exit, `the node kept running on a full disk:\n${proc.output().slice(-3000)}`).not.toBe('running')
    expect(exit).toMatchObject({ code: 1 })
    // whichever write meets the full disk first: a block's bytes (block files), the chain's or the wallet's records
    expect(proc.output()).toMatch(/storage failure, the node stops: (chain database|wallet database|block files) write failed/)
    // every block it logged as mined is on disk
    const mined = [...proc.output().matchAll(/"msg":"mined a block"[^\n]*"height":(\d+)/g)].map(m => Number(m[1]))
    fs.free()
    const chain = await Chain.open({ location: join(dataDir, 'chain'), params: regtest, verifier: new NobleVerifier() })
    try {
      expect(chain.height).toBeGreaterThanOrEqual(Math.max(3, ...mined))
    } finally {
      await chain.close()
    }
    expect(readFileSync(join(dataDir, 'wallet.json'), 'utf8')).toMatch(/minicoin-keystore/)
  }, 180_000)
})
