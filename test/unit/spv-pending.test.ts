// Issue 16.5, 16.6 and 10.5 in the light wallet: a coin it spends stops
// counting at once; a failed pending-file write leaves no trace (nothing
// published, nothing kept) and says why; the file is written atomically,
// a damaged one is reported, stale temp files are cleaned; an expiring
// payment frees no coins while history is incomplete; a payment counts as
// confirmed only at the configured depth and, with two peers, when both
// proved it.
import * as fs from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { blockHash } from '../../src/core/block.js'
import { toHex } from '../../src/core/bytes.js'
import { decodeTx } from '../../src/core/encoding.js'
import { merkleBranch } from '../../src/core/merkle.js'
import { regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { encodeAddress } from '../../src/wallet/address.js'
import { Wallet } from '../../src/wallet/wallet.js'
import { HeaderChain } from '../../src/spv/header-chain.js'
import { PendingFileError, pendingFile, type PendingFs, type PendingPersistence } from '../../src/spv/pending-file.js'
import { verifyProof } from '../../src/spv/proof-verifier.js'
import { ProvenTransactions } from '../../src/spv/proven-txs.js'
import { PendingStorageError, SpvWallet, type SpvWalletOptions } from '../../src/spv/spv-wallet.js'
import { genesisTip, mineBlock, newKey, spend, tempDir, tipOf, type Key, type Tip } from '../../bench/support/chain-fixtures.js'
import { rand } from '../../bench/support/core-fixtures.js'

let dir: ReturnType<typeof tempDir>
let headers: HeaderChain
let proven: ProvenTransactions
let keys: Wallet
let me: Key
let tip: Tip
let published: Transaction[]
const other = newKey()

function wallet (opts: Partial<SpvWalletOptions> = {}): SpvWallet {
  return new SpvWallet({ wallet: keys, proven, headers, params: regtest, publish: bytes => published.push(decodeTx(bytes, regtest.maxTxSize)), ...opts })
}

async function confirm (txs: Transaction[], witness?: string): Promise<Block> {
  const block = mineBlock(tip, txs, other)
  tip = tipOf(block, tip.height + 1)
  await headers.processHeaders([block.header])
  prove(block, tip.height, txs, witness)
  return block
}

function prove (block: Block, height: number, txs: Transaction[], witness?: string): void {
  const ids = block.transactions.map(txid)
  for (const tx of txs) {
    const index = ids.findIndex(id => toHex(id) === toHex(txid(tx)))
    proven.add(verifyProof({ blockHash: blockHash(block.header), height, index, branch: merkleBranch(ids, index), tx }, headers, regtest), witness)
  }
}

async function emptyBlocks (n: number): Promise<void> {
  for (let i = 0; i < n; i++) await confirm([])
}

function paymentToMe (amount: bigint): Transaction {
  return spend([{ txid: rand(32), index: 0, amount: amount + 10n, key: other }], [{ address: me.address, amount }])
}

const to = (): string => encodeAddress(other.address, regtest)

beforeEach(async () => {
  dir = tempDir()
  headers = await HeaderChain.open({ location: `${dir.path}/headers`, params: regtest })
  proven = new ProvenTransactions(headers)
  keys = await Wallet.create(`${dir.path}/wallet.json`, { params: regtest, protection: { unencrypted: true } })
  me = { priv: new Uint8Array(0), pub: new Uint8Array(0), address: keys.primaryAddress().hash }
  published = []
  tip = genesisTip()
})

afterEach(async () => {
  await headers.close()
  dir.remove()
})

describe('a send either is persisted and published, or leaves no trace (16.6)', () => {
  it('a failing pending-file write publishes nothing, keeps nothing, and a retry pays once', async () => {
    let failing = true
    const saved: number[] = []
    const persistence: PendingPersistence = {
      load: () => [],
      save: p => { if (failing) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }); saved.push(p.length) }
    }
    const w = wallet({ persistence })
    await confirm([paymentToMe(100_000n)])
    await expect(w.send(to(), 30_000n, 500n)).rejects.toThrow(PendingStorageError)
    await expect(w.send(to(), 30_000n, 500n)).rejects.toThrow(/no space left/)
    expect(published).toEqual([])
    expect(w.pendingTxs()).toEqual([])
    // the next tip re-broadcasts nothing
    w.republish()
    expect(published).toEqual([])
    expect(w.balance().confirmed).toBe(100_000n)
    // the disk is fixed: the retry pays once
    failing = false
    await w.send(to(), 30_000n, 500n)
    expect(published).toHaveLength(1)
    expect(saved).toEqual([1])
    w.republish()
    expect(new Set(published.map(t => toHex(txid(t)))).size).toBe(1)
  })

  it('a coin stops counting as spendable the moment the wallet spends it (16.5)', async () => {
    const w = wallet()
    await confirm([paymentToMe(100_000n)])
    expect(w.spendable()).toHaveLength(1)
    await w.send(to(), 30_000n, 500n)
    expect(w.spendable()).toHaveLength(0)
    expect(w.coins()[0].spentBy).toBe('pending')
  })

  it('an expiring pending payment frees no coins while history is not known complete', async () => {
    let now = 1_000_000
    let complete = false
    const w = wallet({ now: () => now, pendingExpiryMs: 1000, historyComplete: () => complete })
    await confirm([paymentToMe(100_000n)])
    await w.send(to(), 30_000n, 500n)
    now += 10_000
    w.settle()
    // a block we hold no proof of yet may contain it: its coin stays spent
    expect(w.pendingTxs()).toHaveLength(1)
    expect(w.spendable()).toHaveLength(0)
    complete = true
    w.settle()
    expect(w.pendingTxs()).toHaveLength(0)
    expect(w.spendable()).toHaveLength(1)
  })
})

describe('the pending file (16.6)', () => {
  const pendingTx = (): { tx: Transaction, publishedAt: number } => ({ tx: paymentToMe(5n), publishedAt: 1234 })

  it('writes atomically: a failing write keeps the old file whole and leaves no temp file', () => {
    const path = `${dir.path}/pending.json`
    const good = pendingFile(path, regtest)
    const first = [pendingTx()]
    good.save(first)
    const failingFs: PendingFs = { ...fs, writeSync: () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }) } }
    expect(() => pendingFile(path, regtest, { fs: failingFs }).save([pendingTx(), pendingTx()])).toThrow(/ENOSPC/)
    expect(good.load().map(p => toHex(txid(p.tx)))).toEqual(first.map(p => toHex(txid(p.tx))))
    expect(fs.readdirSync(dir.path).filter(f => f.includes('.tmp-'))).toEqual([])
  })

  it('with its writes landing on /dev/full, a send is refused with the reason and leaves the old file and no trace', async () => {
    const path = `${dir.path}/pending.json`
    // the temp file is really /dev/full: the kernel answers ENOSPC
    const devFull: PendingFs = { ...fs, openSync: ((p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => String(p).includes('.tmp-') ? fs.openSync('/dev/full', 'w') : fs.openSync(p, flags ?? 'r', mode)) as typeof fs.openSync }
    const w = wallet({ persistence: pendingFile(path, regtest, { fs: devFull }) })
    await confirm([paymentToMe(100_000n)])
    await expect(w.send(to(), 30_000n, 500n)).rejects.toThrow(/ENOSPC|no space/)
    expect(published).toEqual([])
    expect(w.pendingTxs()).toEqual([])
    expect(fs.existsSync(path)).toBe(false)
    expect(fs.readdirSync(dir.path).filter(f => f.includes('.tmp-'))).toEqual([])
  })

  it('fsyncs the file before the rename and the directory after it', () => {
    const path = `${dir.path}/pending.json`
    const calls: string[] = []
    const spyFs: PendingFs = {
      ...fs,
      fsyncSync: fd => { calls.push(`fsync:${fs.fstatSync(fd).isDirectory() ? 'dir' : 'file'}`); fs.fsyncSync(fd) },
      renameSync: (a, b) => { calls.push('rename'); fs.renameSync(a, b) }
    }
    pendingFile(path, regtest, { fs: spyFs }).save([pendingTx()])
    expect(calls).toEqual(['fsync:file', 'rename', 'fsync:dir'])
  })

  it('reports a damaged file loudly instead of reading it as empty', () => {
    const path = `${dir.path}/pending.json`
    fs.writeFileSync(path, '[{"hex":"00ff", "publishedAt": 1}')
    expect(() => pendingFile(path, regtest).load()).toThrow(PendingFileError)
    fs.writeFileSync(path, '[{"hex":"00ff","publishedAt":1}]')
    expect(() => pendingFile(path, regtest).load()).toThrow(/damaged/)
    // and a node would not start on it
    expect(() => wallet({ persistence: pendingFile(path, regtest) })).toThrow(PendingFileError)
  })

  it('cleans temp files a crash left behind', () => {
    const path = `${dir.path}/pending.json`
    fs.writeFileSync(`${path}.tmp-99999-0`, 'half a file')
    fs.writeFileSync(`${dir.path}/unrelated.tmp-1`, 'not ours')
    expect(pendingFile(path, regtest).load()).toEqual([])
    expect(fs.readdirSync(dir.path).sort()).toEqual(['headers', 'unrelated.tmp-1', 'wallet.json'])
  })
})

describe('confirmations (10.5)', () => {
  it('counts a payment as confirmed only at the configured depth', async () => {
    const w = wallet({ confirmations: 6 })
    await confirm([paymentToMe(7000n)])
    expect(w.balance()).toEqual({ confirmed: 0n, immature: 0n, pending: 7000n })
    expect(w.coins()[0].confirmations).toBe(1)
    await expect(w.send(to(), 1000n, 10n)).rejects.toThrow()
    await emptyBlocks(4)
    expect(w.balance().confirmed).toBe(0n)
    await emptyBlocks(1)
    expect(w.coins()[0].confirmations).toBe(6)
    expect(w.balance()).toEqual({ confirmed: 7000n, immature: 0n, pending: 0n })
  })

  it('with two peers serving, waits until a second one proved the payment', async () => {
    const w = wallet({ witnessesWanted: () => 2 })
    const block = await confirm([paymentToMe(7000n)], 'peer-a')
    expect(w.balance().confirmed).toBe(0n)
    // the same peer again is no second witness
    prove(block, tip.height, [block.transactions[1]], 'peer-a')
    expect(w.balance().confirmed).toBe(0n)
    prove(block, tip.height, [block.transactions[1]], 'peer-b')
    expect(w.balance().confirmed).toBe(7000n)
  })

  it('trusts its own change after one block (as Core trusts its own change)', async () => {
    const w = wallet({ confirmations: 6 })
    await confirm([paymentToMe(100_000n)])
    await emptyBlocks(5)
    const built = await w.send(to(), 30_000n, 500n)
    await confirm([built.tx])
    expect(w.balance()).toEqual({ confirmed: 69_500n, immature: 0n, pending: 0n })
  })
})

describe('wallet.confirmations in the config (10.5)', () => {
  it('is read, bounded, and defaults per network', async () => {
    const { loadConfig } = await import('../../src/node/config.js')
    const file = `${dir.path}/spv.json`
    fs.writeFileSync(file, JSON.stringify({ role: 'spv', network: 'devnet', wallet: { confirmations: 3 } }))
    expect(loadConfig(file).wallet.confirmations).toBe(3)
    fs.writeFileSync(file, JSON.stringify({ role: 'spv', network: 'devnet', wallet: { confirmations: 0 } }))
    expect(() => loadConfig(file)).toThrow(/wallet\.confirmations/)
    fs.writeFileSync(file, JSON.stringify({ role: 'spv', network: 'devnet' }))
    expect(loadConfig(file).wallet.confirmations).toBe(6)
  })
})
