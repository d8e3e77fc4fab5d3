// Issue 16.4: verified proofs are kept in the light node's database, read
// back at the next start and verified again against the header chain; a
// proof whose block a reorg took off the active chain is dropped (at open
// and at recheck) and leaves the store.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { blockHash } from '../../src/core/block.js'
import { toHex } from '../../src/core/bytes.js'
import { merkleBranch } from '../../src/core/merkle.js'
import { regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { HeaderChain } from '../../src/spv/header-chain.js'
import { ProofStore } from '../../src/spv/proof-store.js'
import { verifyProof, type VerifiedProof } from '../../src/spv/proof-verifier.js'
import { ProvenTransactions } from '../../src/spv/proven-txs.js'
import { genesisTip, mineBlock, newKey, spend, tempDir, tipOf, type Tip } from '../../bench/support/chain-fixtures.js'
import { rand } from '../../bench/support/core-fixtures.js'

let dir: ReturnType<typeof tempDir>
let headers: HeaderChain
const miner = newKey()
const me = newKey()

function proofOf (block: Block, height: number, tx: Transaction): VerifiedProof {
  const ids = block.transactions.map(txid)
  const index = ids.findIndex(id => toHex(id) === toHex(txid(tx)))
  return verifyProof({ blockHash: blockHash(block.header), height, index, branch: merkleBranch(ids, index), tx }, headers, regtest)
}

async function openStore (): Promise<ProofStore> {
  return await ProofStore.open(`${dir.path}/proofs`, regtest.maxTxSize + 65536)
}

const payment = (amount: bigint): Transaction => spend([{ txid: rand(32), index: 0, amount: amount + 1n, key: miner }], [{ address: me.address, amount }])

beforeEach(async () => {
  dir = tempDir()
  headers = await HeaderChain.open({ location: `${dir.path}/headers`, params: regtest })
})

afterEach(async () => {
  await headers.close()
  dir.remove()
})

describe('proof store', () => {
  it('keeps verified proofs and their witnesses across a restart, verified again at open', async () => {
    const pay = payment(500n)
    const b1 = mineBlock(genesisTip(), [pay], miner)
    await headers.processHeaders([b1.header])
    let store = await openStore()
    const first = new ProvenTransactions(headers, store)
    expect(await first.addAll([proofOf(b1, 1, pay)], 'peer-a')).toHaveLength(1)
    expect(await first.addAll([proofOf(b1, 1, pay)], 'peer-b')).toHaveLength(0)
    await store.close()

    store = await openStore()
    const again = await ProvenTransactions.open(headers, regtest, store)
    expect(again.has(toHex(txid(pay)))).toBe(true)
    expect(again.witnesses(toHex(txid(pay)))).toBe(2)
    expect(again.outputAt(`${toHex(txid(pay))}:0`)?.amount).toBe(500n)
    expect([...again.txidsOf(toHex(me.address))]).toEqual([toHex(txid(pay))])
    await store.close()
  })

  it('drops a stored proof whose block left the active chain, at open and at recheck', async () => {
    const pay = payment(700n)
    const a1 = mineBlock(genesisTip(), [pay], miner, { tag: 1 })
    await headers.processHeaders([a1.header])
    let store = await openStore()
    const proven = new ProvenTransactions(headers, store)
    await proven.addAll([proofOf(a1, 1, pay)], 'peer-a')
    // a heavier branch without the payment
    let t: Tip = genesisTip()
    for (let i = 0; i < 2; i++) {
      const b = mineBlock(t, [], miner, { tag: 2 })
      t = tipOf(b, t.height + 1)
      await headers.processHeaders([b.header])
    }
    await store.close()
    // at open (the reorg happened while the node was down, say)
    store = await openStore()
    const reopened = await ProvenTransactions.open(headers, regtest, store)
    expect(reopened.size).toBe(0)
    expect((await store.loadAll()).records).toHaveLength(0)
    await store.close()

    // at recheck (a reorg while running)
    store = await openStore()
    const running = new ProvenTransactions(headers, store)
    const c2 = mineBlock(t, [pay], miner, { tag: 3 })
    const c2tip = tipOf(c2, t.height + 1)
    await headers.processHeaders([c2.header])
    await running.addAll([proofOf(c2, c2tip.height, pay)], 'peer-a')
    expect((await store.loadAll()).records).toHaveLength(1)
    let d: Tip = t
    for (let i = 0; i < 2; i++) {
      const b = mineBlock(d, [], miner, { tag: 4 })
      d = tipOf(b, d.height + 1)
      await headers.processHeaders([b.header])
    }
    expect(running.recheck()).toHaveLength(1)
    expect(running.outputAt(`${toHex(txid(pay))}:0`)).toBeUndefined()
    await running.flush()
    expect((await store.loadAll()).records).toHaveLength(0)
    await store.close()
  })
})
