import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { blockHash } from '../../src/core/block.js'
import { toHex } from '../../src/core/bytes.js'
import { decodeTx } from '../../src/core/encoding.js'
import { merkleBranch } from '../../src/core/merkle.js'
import { regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { BuildError } from '../../src/wallet/builder.js'
import { Wallet } from '../../src/wallet/wallet.js'
import { encodeAddress } from '../../src/wallet/address.js'
import { publicKeyOf } from '../../src/crypto/keys.js'
import { HeaderChain } from '../../src/spv/header-chain.js'
import { verifyProof } from '../../src/spv/proof-verifier.js'
import { ProvenTransactions } from '../../src/spv/proven-txs.js'
import { SpvWallet } from '../../src/spv/spv-wallet.js'
import { pendingFile } from '../../src/spv/pending-file.js'
import { genesisTip, mineBlock, newKey, spend, tempDir, tipOf, type Key, type Tip } from '../../bench/support/chain-fixtures.js'
import { rand } from '../../bench/support/core-fixtures.js'

let dir: ReturnType<typeof tempDir>
let headers: HeaderChain
let proven: ProvenTransactions
let wallet: SpvWallet
let published: Transaction[]
let me: Key
let tip: Tip
const other = newKey()

/** Mines a block on the current tip, adds its header and proves the given transactions of it. */
async function confirm (txs: Transaction[], payTo: Key = other, prove: Transaction[] = txs, parent: Tip = tip): Promise<Block> {
  const block = mineBlock(parent, txs, payTo)
  tip = tipOf(block, parent.height + 1)
  await headers.processHeaders([block.header])
  proveIn(block, tip.height, prove)
  return block
}

function proveIn (block: Block, height: number, txs: Transaction[]): void {
  const ids = block.transactions.map(txid)
  for (const tx of txs) {
    const index = ids.findIndex(id => toHex(id) === toHex(txid(tx)))
    proven.add(verifyProof({ blockHash: blockHash(block.header), height, index, branch: merkleBranch(ids, index), tx: block.transactions[index] }, headers, regtest))
  }
}

/** A payment to us from coins we do not track (the wallet checks no signatures of others). */
function paymentToMe (amount: bigint): Transaction {
  return spend([{ txid: rand(32), index: 0, amount: amount + 10n, key: other }], [{ address: me.address, amount }])
}

beforeEach(async () => {
  dir = tempDir()
  headers = await HeaderChain.open({ location: `${dir.path}/headers`, params: regtest })
  proven = new ProvenTransactions(headers)
  const keys = await Wallet.create(`${dir.path}/wallet.json`, { params: regtest, protection: { unencrypted: true } })
  me = { priv: new Uint8Array(0), pub: new Uint8Array(0), address: keys.primaryAddress().hash }
  published = []
  wallet = new SpvWallet({ wallet: keys, proven, headers, params: regtest, publish: bytes => published.push(decodeTx(bytes, regtest.maxTxSize)) })
  tip = genesisTip()
})

afterEach(async () => {
  await headers.close()
  dir.remove()
})

describe('spv wallet: balance from proofs only', () => {
  it('counts proven outputs; a coinbase matures after the maturity window', async () => {
    expect(wallet.balance()).toEqual({ confirmed: 0n, immature: 0n, pending: 0n })
    const b1 = await confirm([], me, [])
    proveIn(b1, 1, [b1.transactions[0]])
    const reward = b1.transactions[0].outputs[0].amount
    expect(wallet.balance()).toEqual({ confirmed: 0n, immature: reward, pending: 0n })
    await confirm([paymentToMe(5000n)])
    expect(wallet.balance()).toEqual({ confirmed: 5000n, immature: reward, pending: 0n })
    // spendable in the block after height 1 + maturity
    await confirm([], other, [])
    expect(wallet.balance().immature).toBe(0n)
    expect(wallet.balance().confirmed).toBe(5000n + reward)
  })

  it('an unproven payment counts for nothing', async () => {
    const block = mineBlock(tip, [paymentToMe(5000n)], other)
    await headers.processHeaders([block.header])
    expect(wallet.balance().confirmed).toBe(0n)
  })

  it('sends from proven coins: the spent coin leaves confirmed, the change is pending until proven', async () => {
    await confirm([paymentToMe(100_000n)])
    const built = await wallet.send(toHexAddress(other), 30_000n, 500n)
    expect(published.map(t => toHex(txid(t)))).toEqual([toHex(built.txid)])
    expect(wallet.balance()).toEqual({ confirmed: 0n, immature: 0n, pending: 100_000n - 30_000n - 500n })
    expect(wallet.pendingTxs()).toHaveLength(1)
    // the same coin cannot be spent twice while the first payment is pending
    await expect(wallet.send(toHexAddress(other), 1000n, 10n)).rejects.toThrow(BuildError)
    // proven: pending clears, the change is confirmed
    await confirm([built.tx])
    expect(wallet.pendingTxs()).toHaveLength(0)
    expect(wallet.balance()).toEqual({ confirmed: 69_500n, immature: 0n, pending: 0n })
    const history = wallet.history()
    expect(history[0].txid).toBe(toHex(built.txid))
    expect(history[0].delta).toBe(-30_500n)
    expect(history[0].proof?.entry.height).toBe(2)
    expect(history[1].delta).toBe(100_000n)
  })

  it('keeps its pending payments across a restart', async () => {
    await confirm([paymentToMe(100_000n)])
    const file = pendingFile(`${dir.path}/pending.json`, regtest)
    const first = new SpvWallet({ wallet: wallet.keys, proven, headers, params: regtest, publish: () => {}, persistence: file })
    const built = await first.send(toHexAddress(other), 30_000n, 500n)
    const again = new SpvWallet({ wallet: wallet.keys, proven, headers, params: regtest, publish: bytes => published.push(decodeTx(bytes, regtest.maxTxSize)), persistence: file })
    expect(again.pendingTxs().map(p => p.txidHex)).toEqual([toHex(built.txid)])
    expect(again.balance()).toEqual({ confirmed: 0n, immature: 0n, pending: 69_500n })
    again.republish()
    expect(published.map(t => toHex(txid(t)))).toEqual([toHex(built.txid)])
    // proven: it leaves the file too
    await confirm([built.tx])
    expect(new SpvWallet({ wallet: wallet.keys, proven, headers, params: regtest, publish: () => {}, persistence: file }).pendingTxs()).toEqual([])
  })

  it('forgets a pending payment that lost a double spend to a proven transaction', async () => {
    await confirm([paymentToMe(100_000n)])
    const first = await wallet.send(toHexAddress(other), 30_000n, 500n)
    const settled: string[] = []
    wallet.on('settled', (p, reason) => settled.push(`${p.txidHex}:${reason}`))
    // another transaction (built elsewhere with our key) spending the same coin gets mined
    const coin = { txid: first.tx.inputs[0].prevTxid, index: first.tx.inputs[0].prevIndex, amount: 100_000n, key: keyOf(wallet) }
    const rival = spend([coin], [{ address: other.address, amount: 99_000n }])
    await confirm([rival])
    wallet.settle()
    expect(settled).toEqual([`${toHex(first.txid)}:conflict`])
    expect(wallet.balance()).toEqual({ confirmed: 0n, immature: 0n, pending: 0n })
  })

  it('loses a proven payment when a reorg takes its block away', async () => {
    const start = tip
    await confirm([paymentToMe(7000n)])
    expect(wallet.balance().confirmed).toBe(7000n)
    // a heavier branch without the payment
    let t = start
    for (let i = 0; i < 2; i++) {
      const b = mineBlock(t, [], other, { tag: 9 })
      t = tipOf(b, t.height + 1)
      await headers.processHeaders([b.header])
    }
    expect(wallet.balance().confirmed).toBe(0n)
    proven.recheck()
    expect(proven.size).toBe(0)
    expect(wallet.history()).toHaveLength(0)
  })
})

function toHexAddress (k: Key): string {
  return encodeAddress(k.address, regtest)
}

function keyOf (w: SpvWallet): Key {
  const hash = w.keys.primaryAddress().hash
  const priv = w.keys.privateKeyFor(hash)!
  return { priv, pub: publicKeyOf(priv), address: hash }
}
