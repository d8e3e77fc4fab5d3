// Issue 10.6 in the light wallet: a payment's change goes to a fresh address
// of BIP44's internal chain (never the primary address, never one used
// before), recorded in the keystore before the pending file is written and
// that before anything is published; the change is the wallet's own coin
// once proven (trusted after one block, as Core trusts its own change); and a
// restarted or restored wallet still recognises its change addresses.
import * as fs from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { blockHash } from '../../src/core/block.js'
import { equalBytes, toHex } from '../../src/core/bytes.js'
import { decodeTx } from '../../src/core/encoding.js'
import { merkleBranch } from '../../src/core/merkle.js'
import { regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { encodeAddress } from '../../src/wallet/address.js'
import { GAP_LIMIT, Wallet } from '../../src/wallet/wallet.js'
import { HeaderChain } from '../../src/spv/header-chain.js'
import type { PendingPersistence, StoredPending } from '../../src/spv/pending-file.js'
import { verifyProof } from '../../src/spv/proof-verifier.js'
import { ProvenTransactions } from '../../src/spv/proven-txs.js'
import { PendingStorageError, SpvWallet, type SpvWalletOptions } from '../../src/spv/spv-wallet.js'
import { genesisTip, mineBlock, newKey, spend, tempDir, tipOf, type Tip } from '../../bench/support/chain-fixtures.js'
import { rand } from '../../bench/support/core-fixtures.js'
import { waitFor } from '../../bench/support/wait.js'

let dir: ReturnType<typeof tempDir>
let headers: HeaderChain
let proven: ProvenTransactions
let keys: Wallet
let keysPath: string
let tip: Tip
let published: Transaction[]
const other = newKey()
const to = (): string => encodeAddress(other.address, regtest)

function lightWallet (opts: Partial<SpvWalletOptions> = {}): SpvWallet {
  return new SpvWallet({ wallet: keys, proven, headers, params: regtest, publish: bytes => published.push(decodeTx(bytes, regtest.maxTxSize)), ...opts })
}

/** Mines a block with these transactions on the tip and proves them. */
async function confirm (txs: Transaction[]): Promise<Block> {
  const block = mineBlock(tip, txs, other)
  tip = tipOf(block, tip.height + 1)
  await headers.processHeaders([block.header])
  const ids = block.transactions.map(txid)
  for (const tx of txs) {
    const index = ids.findIndex(id => equalBytes(id, txid(tx)))
    proven.add(verifyProof({ blockHash: blockHash(block.header), height: tip.height, index, branch: merkleBranch(ids, index), tx }, headers, regtest))
  }
  return block
}

function paymentTo (address: Uint8Array, amount: bigint): Transaction {
  return spend([{ txid: rand(32), index: 0, amount: amount + 10n, key: other }], [{ address, amount }])
}

/** The change output of one of our payments (the builder puts it second). */
function changeOf (tx: Transaction): Uint8Array {
  expect(tx.outputs).toHaveLength(2)
  return tx.outputs[1].address
}

beforeEach(async () => {
  dir = tempDir()
  headers = await HeaderChain.open({ location: `${dir.path}/headers`, params: regtest })
  proven = new ProvenTransactions(headers)
  keysPath = `${dir.path}/wallet.json`
  keys = await Wallet.create(keysPath, { params: regtest, protection: { unencrypted: true } })
  published = []
  tip = genesisTip()
})

afterEach(async () => {
  await headers.close()
  dir.remove()
})

describe('spv change goes to fresh internal-chain addresses (10.6)', () => {
  it('two sends use two distinct change addresses, neither the primary, in internal-chain order', async () => {
    const w = lightWallet()
    const primary = keys.primaryAddress().hash
    await confirm([paymentTo(primary, 100_000n), paymentTo(primary, 80_000n)])
    const first = await w.send(to(), 30_000n, 500n)
    const second = await w.send(to(), 30_000n, 500n)
    const [c1, c2] = [changeOf(first.tx), changeOf(second.tx)]
    expect(equalBytes(c1, primary)).toBe(false)
    expect(equalBytes(c2, primary)).toBe(false)
    expect(equalBytes(c1, c2)).toBe(false)
    expect(keys.changeAddresses().map(a => [a.index, toHex(a.hash)])).toEqual([[0, toHex(c1)], [1, toHex(c2)]])
    expect(published.map(t => toHex(txid(t)))).toEqual([toHex(first.txid), toHex(second.txid)])
    // the change of both is ours while pending
    expect(w.balance()).toEqual({ confirmed: 0n, immature: 0n, pending: 49_500n + 69_500n })
  })

  it('concurrent sends pick different coins and different change addresses', async () => {
    const w = lightWallet()
    const primary = keys.primaryAddress().hash
    await confirm([paymentTo(primary, 100_000n), paymentTo(primary, 80_000n)])
    const [a, b] = await Promise.all([w.send(to(), 30_000n, 500n), w.send(to(), 30_000n, 500n)])
    expect(toHex(a.tx.inputs[0].prevTxid)).not.toBe(toHex(b.tx.inputs[0].prevTxid))
    expect(toHex(changeOf(a.tx))).not.toBe(toHex(changeOf(b.tx)))
    expect(keys.changeAddresses()).toHaveLength(2)
  })

  it('the proven change is the wallet\'s own coin, trusted after one block, and spendable', async () => {
    const w = lightWallet({ confirmations: 6 })
    await confirm([paymentTo(keys.primaryAddress().hash, 100_000n)])
    for (let i = 0; i < 5; i++) await confirm([])
    const built = await w.send(to(), 30_000n, 500n)
    const change = changeOf(built.tx)
    await confirm([built.tx])
    const coin = w.coins().find(c => equalBytes(c.address, change))
    expect(coin).toMatchObject({ amount: 69_500n, confirmations: 1, confirmed: true })
    expect(coin?.spentBy).toBeUndefined()
    expect(w.isMine(change)).toBe(true)
    expect(w.balance()).toEqual({ confirmed: 69_500n, immature: 0n, pending: 0n })
    expect(w.history()[0]).toMatchObject({ txid: toHex(built.txid), delta: -30_500n })
    // it pays the next payment, whose change goes to the next fresh address
    const next = await w.send(to(), 10_000n, 500n)
    expect(toHex(next.tx.inputs[0].prevTxid)).toBe(toHex(built.txid))
    expect(toHex(changeOf(next.tx))).toBe(toHex(keys.changeAddresses()[1].hash))
  })

  it('the change address is in the keystore file before the pending file is written, and that before publishing', async () => {
    const snapshots: Array<{ pending: StoredPending[], keystore: Buffer, publishedBefore: number }> = []
    const persistence: PendingPersistence = { load: () => [], save: pending => { snapshots.push({ pending, keystore: fs.readFileSync(keysPath), publishedBefore: published.length }) } }
    const w = lightWallet({ persistence })
    await confirm([paymentTo(keys.primaryAddress().hash, 100_000n)])
    const built = await w.send(to(), 30_000n, 500n)
    expect(snapshots).toHaveLength(1)
    expect(snapshots[0].publishedBefore).toBe(0)
    expect(snapshots[0].pending.map(p => toHex(txid(p.tx)))).toEqual([toHex(built.txid)])
    // the keystore as it was on disk when the pending file was written already holds the change address
    const copy = `${dir.path}/keystore-at-save.json`
    fs.writeFileSync(copy, snapshots[0].keystore)
    const then = await Wallet.open(copy, { params: regtest })
    expect(then.changeAddresses().map(a => toHex(a.hash))).toEqual([toHex(changeOf(built.tx))])
    expect(published).toHaveLength(1)
  })

  it('a failed keystore write publishes nothing, keeps nothing and stops the node', async () => {
    const failures: Error[] = []
    const w = lightWallet({ onStorageFailure: err => failures.push(err) })
    await confirm([paymentTo(keys.primaryAddress().hash, 100_000n)])
    const commit = keys.commitChangeAddress.bind(keys)
    keys.commitChangeAddress = async () => { throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }) }
    await expect(w.send(to(), 30_000n, 500n)).rejects.toThrow(PendingStorageError)
    expect(failures.map(e => e.message)).toEqual(['ENOSPC: no space left on device'])
    expect(published).toEqual([])
    expect(w.pendingTxs()).toEqual([])
    expect(keys.changeAddresses()).toEqual([])
    expect(w.balance().confirmed).toBe(100_000n)
    keys.commitChangeAddress = commit
    await w.send(to(), 30_000n, 500n)
    expect(published).toHaveLength(1)
    expect(keys.changeAddresses().map(a => a.index)).toEqual([0])
  })

  it('a payment that cannot be built records no change address; a failed pending write leaves no gap either', async () => {
    let failing = true
    const persistence: PendingPersistence = { load: () => [], save: () => { if (failing) throw new Error('EIO: i/o error') } }
    const w = lightWallet({ persistence })
    await expect(w.send(to(), 1000n, 10n)).rejects.toThrow(/insufficient|funds/i)
    expect(keys.changeAddresses()).toEqual([])
    await confirm([paymentTo(keys.primaryAddress().hash, 100_000n)])
    await expect(w.send(to(), 30_000n, 500n)).rejects.toThrow(PendingStorageError)
    expect(published).toEqual([])
    // recorded (it was, before the pending write), never published: the retry uses it rather than skip it
    expect(keys.changeAddresses().map(a => a.index)).toEqual([0])
    failing = false
    const built = await w.send(to(), 30_000n, 500n)
    expect(toHex(changeOf(built.tx))).toBe(toHex(keys.changeAddresses()[0].hash))
    expect(keys.changeAddresses()).toHaveLength(1)
  })
})

describe('change addresses after a restart or a restore (10.6)', () => {
  /** Two payments made and proven; returns their change addresses. */
  async function twoProvenSends (w: SpvWallet): Promise<Uint8Array[]> {
    const primary = keys.primaryAddress().hash
    await confirm([paymentTo(primary, 100_000n), paymentTo(primary, 80_000n)])
    const a = await w.send(to(), 30_000n, 500n)
    const b = await w.send(to(), 30_000n, 500n)
    await confirm([a.tx, b.tx])
    expect(w.balance()).toEqual({ confirmed: 49_500n + 69_500n, immature: 0n, pending: 0n })
    return [changeOf(a.tx), changeOf(b.tx)]
  }

  it('a restarted wallet (keystore reopened) still counts its change and goes on with the next fresh address', async () => {
    const changes = await twoProvenSends(lightWallet())
    keys = await Wallet.open(keysPath, { params: regtest })
    const again = lightWallet()
    for (const c of changes) expect(again.isMine(c)).toBe(true)
    // what the light client scans includes them
    const scanned = new Set(again.watchedHashes().map(toHex))
    for (const c of changes) expect(scanned.has(toHex(c))).toBe(true)
    expect(again.balance()).toEqual({ confirmed: 49_500n + 69_500n, immature: 0n, pending: 0n })
    const next = await again.send(to(), 1000n, 500n)
    expect(changes.map(toHex)).not.toContain(toHex(changeOf(next.tx)))
    expect(keys.changeAddresses().map(a => a.index)).toEqual([0, 1, 2])
  })

  it('a wallet restored from its phrase finds its change through the gap-limit window and never reuses it', async () => {
    const changes = await twoProvenSends(lightWallet())
    keysPath = `${dir.path}/restored.json`
    keys = await Wallet.restore(keysPath, keys.exportMnemonic(), { params: regtest, protection: { unencrypted: true } })
    expect(keys.changeAddresses()).toEqual([])
    const restored = lightWallet()
    // scanned before anything is handed out: the window of the internal chain
    const scanned = new Set(restored.watchedHashes().map(toHex))
    for (const c of changes) expect(scanned.has(toHex(c))).toBe(true)
    expect(restored.balance()).toEqual({ confirmed: 49_500n + 69_500n, immature: 0n, pending: 0n })
    // the proofs it holds record both as used, in the keystore file, and the window moves on
    await waitFor(() => keys.changeAddresses().length === 2, 'the found change addresses to be recorded')
    expect((await Wallet.open(keysPath, { params: regtest })).changeAddresses().map(a => toHex(a.hash))).toEqual(changes.map(toHex))
    expect(restored.watchedHashes()).toHaveLength(1 + 2 + 2 * GAP_LIMIT)
    const next = await restored.send(to(), 1000n, 500n)
    expect(changes.map(toHex)).not.toContain(toHex(changeOf(next.tx)))
    expect(keys.changeAddresses().map(a => a.index)).toEqual([0, 1, 2])
  })

  it('a change address found while the wallet runs is recorded and the window moves on (the light client is told)', async () => {
    const w = lightWallet()
    let told = 0
    w.on('addresses', () => told++)
    // a payment to the 5th change address of the window (a wallet restored from a phrase used elsewhere)
    const far = await (async () => {
      const twin = await Wallet.restore(`${dir.path}/twin.json`, keys.exportMnemonic(), { params: regtest, protection: { unencrypted: true } })
      for (let i = 0; i < 5; i++) await twin.commitChangeAddress(twin.peekChangeAddress().hash)
      return twin.changeAddresses()[4].hash
    })()
    expect(w.isMine(far)).toBe(true)
    await confirm([paymentTo(far, 7000n)])
    expect(w.balance().confirmed).toBe(7000n)
    await waitFor(() => keys.changeAddresses().length === 5, 'the window to move past the used address')
    expect(told).toBeGreaterThan(0)
    const scanned = new Set(w.watchedHashes().map(toHex))
    const twin = await Wallet.open(`${dir.path}/twin.json`, { params: regtest })
    for (const a of twin.changeAddresses()) expect(scanned.has(toHex(a.hash))).toBe(true)
    // its change never goes to an address at or below the one found
    const next = await w.send(to(), 1000n, 500n)
    expect(keys.changeAddresses().find(a => equalBytes(a.hash, changeOf(next.tx)))?.index).toBe(5)
  })
})
