// The node wallet: state kept in its own database and followed block by
// block (no rescan at start), confirmations, what it may spend, change to
// fresh internal-chain addresses, the fee cap.
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { toHex } from '../../src/core/bytes.js'
import { COIN, regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import type { Block } from '../../src/core/types.js'
import { Chain } from '../../src/chain/chain.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { Mempool } from '../../src/mempool/mempool.js'
import { encodeAddress } from '../../src/wallet/address.js'
import { FeeTooHighError } from '../../src/wallet/builder.js'
import { NodeWallet } from '../../src/node/wallet/node-wallet.js'
import { GAP_LIMIT, Wallet } from '../../src/wallet/wallet.js'
import { genesisTip, mineBlock, newKey, outputsOf, spend, tempDir, tipOf, type Key, type Tip } from '../../bench/support/chain-fixtures.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c()
  cleanups.length = 0
})

interface Setup {
  dir: string
  chain: Chain
  pool: Mempool
  keys: Wallet
  tip: Tip
  mine: (txs?: Parameters<typeof mineBlock>[1], payTo?: Key) => Promise<Block>
  open: (opts?: { confirmations?: number, keys?: Wallet, db?: string }) => Promise<NodeWallet>
}

async function setup (): Promise<Setup> {
  const tmp = tempDir('minicoin-node-wallet-')
  const chain = await Chain.open({ location: join(tmp.path, 'chain'), params: regtest, verifier: new NobleVerifier() })
  const pool = new Mempool({ chain, verifier: new NobleVerifier() })
  const keys = await Wallet.create(join(tmp.path, 'wallet.json'), { params: regtest, protection: { unencrypted: true } })
  const wallets: NodeWallet[] = []
  cleanups.push(async () => {
    for (const w of wallets) await w.close()
    await chain.close()
    tmp.remove()
  })
  const s: Setup = {
    dir: tmp.path,
    chain,
    pool,
    keys,
    tip: genesisTip(),
    mine: async (txs = [], payTo = asKey(keys)) => {
      const block = mineBlock(s.tip, txs, payTo)
      const r = await chain.processBlock(block)
      expect(r.status).toBe('connected')
      s.tip = tipOf(block, s.tip.height + 1)
      return block
    },
    open: async (opts = {}) => {
      const w = await NodeWallet.open({ wallet: opts.keys ?? keys, chain, mempool: pool, location: opts.db ?? join(tmp.path, 'wallet-db'), confirmations: opts.confirmations ?? 1 })
      wallets.push(w)
      return w
    }
  }
  return s
}

/** A Key for the fixtures that pays the wallet's primary address (only `address` is used to pay to). */
function asKey (w: Wallet): Key {
  return { address: w.primaryAddress().hash } as unknown as Key
}

function snapshot (w: NodeWallet): unknown {
  const b = w.balance()
  return {
    balance: { confirmed: b.confirmed, pending: b.pending, immature: b.immature },
    spendable: w.spendable().map(u => `${toHex(u.txid)}:${u.index}:${u.amount}`).sort()
  }
}

describe('node wallet state', () => {
  it('reopens from its own database without reading a block, and catches up only the blocks it missed', async () => {
    const s = await setup()
    for (let i = 0; i < 20; i++) await s.mine()
    const first = await s.open()
    expect(first.height).toBe(20)
    const before = snapshot(first)
    const history = await first.transactions(100)
    expect(history).toHaveLength(20)
    await first.close()

    const reads = vi.spyOn(s.chain, 'getBlock')
    const reopened = await s.open()
    expect(reads).not.toHaveBeenCalled()
    expect(reopened.height).toBe(20)
    expect(snapshot(reopened)).toEqual(before)
    expect(await reopened.transactions(100)).toEqual(history)
    await reopened.close()

    // five blocks while the wallet was closed: exactly those five are read
    for (let i = 0; i < 5; i++) await s.mine()
    reads.mockClear()
    const behind = await s.open()
    expect(reads).toHaveBeenCalledTimes(5)
    expect(behind.height).toBe(25)
    expect((await behind.transactions(100))).toHaveLength(25)
  })

  it('writes nothing for a block that does not touch it, and after a crash reopens correct from its last written tip', async () => {
    const s = await setup()
    for (let i = 0; i < 3; i++) await s.mine()
    const w = await s.open()
    const store = (w as unknown as { state: { store: { write: (ops: unknown[]) => Promise<void>, close: () => Promise<void> } } }).state.store
    const writes = vi.spyOn(store, 'write')
    // four blocks paying someone else: the state follows them without a write
    const other = newKey()
    for (let i = 0; i < 4; i++) await s.mine([], other)
    await w.synced()
    expect(w.height).toBe(7)
    expect(writes).not.toHaveBeenCalled()
    // one paying the wallet is written (with its tip)
    await s.mine()
    await s.mine([], other)
    await w.synced()
    expect(writes).toHaveBeenCalledTimes(1)
    const before = snapshot(w)
    const history = await w.transactions(100)
    // a crash: the database closes without the state's close()
    await store.close()
    const reads = vi.spyOn(s.chain, 'getBlock')
    const reopened = await s.open({ db: join(s.dir, 'wallet-db') })
    expect(reads).toHaveBeenCalledTimes(1)
    expect(reopened.height).toBe(9)
    expect(snapshot(reopened)).toEqual(before)
    expect(await reopened.transactions(100)).toEqual(history)
    // a clean close writes the tip: the next open reads no block
    await s.mine([], other)
    await reopened.synced()
    await reopened.close()
    reads.mockClear()
    const third = await s.open()
    expect(reads).not.toHaveBeenCalled()
    expect(third.height).toBe(10)
  })

  it('follows connect and disconnect events: after a reorg its state equals one rebuilt from the chain', async () => {
    const s = await setup()
    const w = await s.open()
    const other = newKey()
    const blocks: Block[] = []
    for (let i = 0; i < 4; i++) blocks.push(await s.mine())
    const forkTip = s.tip
    // block 5 spends the height-1 coinbase: part to a third party, change to a fresh address of ours
    await w.synced()
    const built = await w.build(encodeAddress(other.address, regtest), 10n * COIN)
    await s.pool.accept(built.tx)
    await s.mine([built.tx])
    await s.mine()
    await w.synced()
    expect(w.height).toBe(6)
    expect(built.change).toBeGreaterThan(0n)

    // a longer branch from height 4 that pays someone else: the spend and blocks 5-6 are undone
    let t = forkTip
    for (let i = 0; i < 3; i++) {
      const b = mineBlock(t, [], other, { tag: 7 })
      await s.chain.processBlock(b)
      t = tipOf(b, t.height + 1)
    }
    expect(s.chain.height).toBe(7)
    await w.synced()
    expect(w.height).toBe(7)
    expect(w.tipHash).toBe(s.chain.tip.hashHex)

    const fresh = await s.open({ db: join(s.dir, 'fresh-db') })
    expect(snapshot(w)).toEqual(snapshot(fresh))
    expect(await w.transactions(100)).toEqual(await fresh.transactions(100))
    expect((await w.transactions(100)).filter(t => t.height !== undefined)).toHaveLength(4)
  })

  it('rebuilds a state that belongs to another wallet', async () => {
    const s = await setup()
    for (let i = 0; i < 3; i++) await s.mine()
    const w = await s.open()
    expect(w.balance().immature).toBeGreaterThan(0n)
    await w.close()
    const otherKeys = await Wallet.create(join(s.dir, 'other.json'), { params: regtest, protection: { unencrypted: true } })
    const other = await s.open({ keys: otherKeys })
    expect(snapshot(other)).toEqual({ balance: { confirmed: 0n, pending: 0n, immature: 0n }, spendable: [] })
    expect(await other.transactions()).toEqual([])
  })
})

describe('confirmations and what the wallet spends', () => {
  it('counts a payment as confirmed only at the required depth and never spends a third party\'s unconfirmed output', async () => {
    const s = await setup()
    const stranger = newKey()
    const coinbases: Block[] = []
    for (let i = 0; i < 5; i++) coinbases.push(await s.mine([], stranger))
    const w = await s.open({ confirmations: 3 })
    const myAddress = s.keys.primaryAddress().hash
    const [coin] = outputsOf(coinbases[0].transactions[0], stranger)
    const [coin2] = outputsOf(coinbases[1].transactions[0], stranger)

    // one block deep: pending, not spendable
    const pay = spend([coin], [{ address: myAddress, amount: 10n * COIN }, { address: stranger.address, amount: coin.amount - 10n * COIN - 1000n }])
    await s.pool.accept(pay)
    await s.mine([pay], stranger)
    await w.synced()
    expect(w.balance()).toMatchObject({ confirmed: 0n, pending: 10n * COIN })
    expect(w.spendable()).toEqual([])
    const [line] = await w.transactions()
    expect(line).toMatchObject({ txid: toHex(txid(pay)), confirmations: 1, confirmed: false })

    // three deep: confirmed and spendable
    await s.mine([], stranger)
    await s.mine([], stranger)
    await w.synced()
    expect(w.balance()).toMatchObject({ confirmed: 10n * COIN, pending: 0n })
    expect(w.spendable().map(u => u.amount)).toEqual([10n * COIN])
    expect((await w.transactions())[0]).toMatchObject({ confirmations: 3, confirmed: true })

    // a third party's payment still in the mempool: shown as pending, never spent
    const unconfirmed = spend([coin2], [{ address: myAddress, amount: 20n * COIN }, { address: stranger.address, amount: coin2.amount - 20n * COIN - 1000n }])
    await s.pool.accept(unconfirmed)
    expect(w.balance().pending).toBe(20n * COIN)
    expect(w.spendable().map(u => u.amount)).toEqual([10n * COIN])
    expect((await w.transactions())[0]).toMatchObject({ txid: toHex(txid(unconfirmed)), confirmations: 0, confirmed: false })

    // our own change is spendable at once (it is ours), and counts as confirmed once in a block
    const built = await w.build(encodeAddress(stranger.address, regtest), 1n * COIN)
    await s.pool.accept(built.tx)
    const change = w.spendable()
    expect(change).toHaveLength(1)
    expect(toHex(change[0].txid)).toBe(toHex(built.txid))
    expect(change[0].amount).toBe(built.change)
    await s.mine([built.tx, unconfirmed], stranger)
    await w.synced()
    // the change (own) counts at one confirmation; the stranger's 20 MC waits for three
    expect(w.balance()).toMatchObject({ confirmed: built.change, pending: 20n * COIN })
  })
})

describe('change addresses', () => {
  it('sends change to fresh internal-chain addresses that survive a reopen and a restore from the phrase', async () => {
    const s = await setup()
    for (let i = 0; i < 8; i++) await s.mine()
    const w = await s.open()
    const payee = encodeAddress(newKey().address, regtest)
    const primary = s.keys.primaryAddress().address
    const changeTo: string[] = []
    for (let i = 0; i < 3; i++) {
      const built = await w.build(payee, 1n * COIN)
      await s.pool.accept(built.tx)
      await s.mine([built.tx])
      await w.synced()
      expect(built.tx.outputs).toHaveLength(2)
      changeTo.push(encodeAddress(built.tx.outputs[1].address, regtest))
    }
    expect(new Set(changeTo).size).toBe(3)
    expect(changeTo).not.toContain(primary)
    expect(s.keys.changeAddresses().map(a => a.address)).toEqual(changeTo)
    expect(s.keys.changeAddresses().map(a => a.source)).toEqual(['change', 'change', 'change'])
    expect(s.keys.addresses().map(a => a.address)).toEqual([primary])
    const expected = snapshot(w)

    // the keystore remembers how many change addresses were handed out
    const reopened = await Wallet.open(join(s.dir, 'wallet.json'), { params: regtest })
    expect(reopened.changeAddresses().map(a => a.address)).toEqual(changeTo)

    // a restore from the phrase knows none of them; the gap limit finds them in the chain
    const restored = await Wallet.restore(join(s.dir, 'restored.json'), s.keys.exportMnemonic(), { params: regtest, protection: { unencrypted: true } })
    expect(restored.changeAddresses()).toEqual([])
    const fromPhrase = await s.open({ keys: restored, db: join(s.dir, 'restored-db') })
    expect(snapshot(fromPhrase)).toEqual(expected)
    expect(restored.changeAddresses().map(a => a.address)).toEqual(changeTo)
    expect((await Wallet.open(join(s.dir, 'restored.json'), { params: regtest })).changeAddresses().map(a => a.address)).toEqual(changeTo)
  })

  it('watches the next GAP_LIMIT receiving addresses: a payment to one handed out by the lost wallet is found', async () => {
    const s = await setup()
    const mnemonic = s.keys.exportMnemonic()
    for (let i = 0; i < 5; i++) await s.keys.newAddress()
    const far = s.keys.addresses()[5]
    await s.mine([], { address: far.hash } as unknown as Key)
    const restored = await Wallet.restore(join(s.dir, 'restored.json'), mnemonic, { params: regtest, protection: { unencrypted: true } })
    expect(restored.addresses()).toHaveLength(1)
    expect(GAP_LIMIT).toBe(20)
    const w = await s.open({ keys: restored, db: join(s.dir, 'restored-db') })
    expect(w.balance().immature).toBeGreaterThan(0n)
    expect(restored.addresses().map(a => a.address)).toContain(far.address)
  })
})

describe('fee cap', () => {
  it('refuses a fee above 1 MC unless forced', async () => {
    const s = await setup()
    for (let i = 0; i < 5; i++) await s.mine()
    const w = await s.open()
    const to = encodeAddress(newKey().address, regtest)
    const err = await w.build(to, 1000n, 2n * COIN).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FeeTooHighError)
    expect(err).toMatchObject({ code: 'fee-too-high' })
    expect((err as Error).message).toMatch(/cap of 100000000 base units.*force/)
    // nothing handed out for a payment that was refused
    expect(s.keys.changeAddresses()).toEqual([])
    const forced = await w.build(to, 1000n, 2n * COIN, { force: true })
    expect(forced.fee).toBe(2n * COIN)
    expect(await w.build(to, 1000n, COIN)).toMatchObject({ fee: COIN })
  })
})
