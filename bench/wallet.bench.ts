// The node wallet opening at 10,000 blocks of a miner (every block pays it):
// today it reopens its own database; the reference is the rescan the wallet
// did at every start before (and after every reorg), run in the same process.
import { join } from 'node:path'
import { type Bench, round } from './harness.js'
import { toHex } from '../src/core/bytes.js'
import { regtest } from '../src/core/params.js'
import { isCoinbase, txid } from '../src/core/tx.js'
import { Chain } from '../src/chain/chain.js'
import { NobleVerifier } from '../src/crypto/verifier.js'
import { Mempool } from '../src/mempool/mempool.js'
import { NodeWallet } from '../src/node/wallet/node-wallet.js'
import { Wallet } from '../src/wallet/wallet.js'
import { genesisTip, mineBlock, tempDir, tipOf, type Key } from './support/chain-fixtures.js'

const BLOCKS = 10_000

/**
 * The wallet's start-up before this change (src/wallet/node-wallet.ts
 * rescan()): the address index for every wallet address, then every block
 * holding one of its transactions decoded and replayed. Returns the coin total.
 */
async function rescanAsBefore (chain: Chain, keys: Wallet): Promise<bigint> {
  const mine = new Set(keys.addressHashes().map(toHex))
  const coins = new Map<string, bigint>()
  const seen = new Map<string, number>()
  for (const address of keys.addressHashes()) {
    for (const item of await chain.addressHistory(address, 0, 1_000_000)) seen.set(toHex(item.txid), item.height)
  }
  const heights = [...new Set(seen.values())].sort((a, b) => a - b)
  const history: Array<{ txid: string, delta: bigint }> = []
  for (const height of heights) {
    const entry = chain.entryAt(height)
    const block = entry === undefined ? undefined : chain.getBlock(entry.hash)
    if (block === undefined) continue
    for (const tx of block.transactions) {
      const id = txid(tx)
      if (!seen.has(toHex(id))) continue
      let delta = 0n
      for (const input of tx.inputs) {
        const k = toHex(input.prevTxid) + ':' + input.prevIndex
        const c = coins.get(k)
        if (c !== undefined) { delta -= c; coins.delete(k) }
      }
      tx.outputs.forEach((o, index) => {
        if (!mine.has(toHex(o.address))) return
        delta += o.amount
        coins.set(toHex(id) + ':' + index, o.amount)
      })
      if (isCoinbase(tx) || delta !== 0n) history.push({ txid: toHex(id), delta })
    }
  }
  let total = 0n
  for (const v of coins.values()) total += v
  return total
}

export const benches: Bench[] = [
  {
    name: 'wallet_open_10k',
    group: 'chain',
    async run () {
      const dir = tempDir('minicoin-bench-wallet-')
      const chain = await Chain.open({ location: join(dir.path, 'chain'), params: regtest, verifier: new NobleVerifier() })
      try {
        const keys = await Wallet.create(join(dir.path, 'wallet.json'), { params: regtest, protection: { unencrypted: true } })
        const payTo = { address: keys.primaryAddress().hash } as unknown as Key
        let tip = genesisTip()
        for (let i = 0; i < BLOCKS; i++) {
          const b = mineBlock(tip, [], payTo)
          await chain.processBlock(b)
          tip = tipOf(b, i + 1)
        }
        const mempool = new Mempool({ chain, verifier: new NobleVerifier() })
        const open = async (): Promise<NodeWallet> => await NodeWallet.open({ wallet: keys, chain, mempool, location: join(dir.path, 'wallet-db'), confirmations: 1 })

        // first open: no state yet, built from the chain once
        let start = performance.now()
        let w = await open()
        const firstMs = performance.now() - start
        const b = w.balance()
        const total = b.confirmed + b.pending + b.immature
        await w.close()

        // every later start: the state is current
        const reopenMs: number[] = []
        for (let i = 0; i < 3; i++) {
          start = performance.now()
          w = await open()
          reopenMs.push(performance.now() - start)
          const again = w.balance()
          if (again.confirmed + again.pending + again.immature !== total) throw new Error('reopened balance differs')
          await w.close()
        }

        const rescanMs: number[] = []
        for (let i = 0; i < 3; i++) {
          start = performance.now()
          const before = await rescanAsBefore(chain, keys)
          rescanMs.push(performance.now() - start)
          if (before !== total) throw new Error(`the reference rescan found ${before}, the wallet ${total}`)
        }
        // a one-block reorg at the tip (two blocks on the tip's parent): the wallet undoes one block and applies two
        w = await open()
        const other = { address: new Uint8Array(20).fill(7) } as unknown as Key
        const parent = chain.entryAt(BLOCKS - 1)
        if (parent === undefined) throw new Error('no parent')
        const side1 = mineBlock({ hash: parent.hash, height: parent.height, time: parent.header.time, bits: parent.header.bits }, [], other, { tag: 9 })
        const side2 = mineBlock(tipOf(side1, BLOCKS), [], other, { tag: 9 })
        await chain.processBlock(side1)
        await w.synced()
        // from the block that triggers the reorg until the wallet has followed it (the chain's own reorg included)
        start = performance.now()
        await chain.processBlock(side2)
        await w.synced()
        const reorgMs = performance.now() - start
        if (w.height !== BLOCKS + 1 || w.tipHash !== chain.tip.hashHex) throw new Error('the wallet did not follow the reorg')
        await w.close()

        const best = (xs: number[]): number => Math.min(...xs)
        return [
          { bench: 'wallet_follow_reorg_10k', value: round(reorgMs, 1), unit: 'ms', note: 'a one-block reorg at 10,000 blocks, the chain reorganising and the wallet following; before, every reorg ran the full rescan', reference: 'wallet_rescan_10k_before' },
          { bench: 'wallet_open_10k', value: round(best(reopenMs), 1), unit: 'ms', blocks: BLOCKS, wallet_txs: BLOCKS, reference: 'wallet_rescan_10k_before' },
          { bench: 'wallet_rescan_10k_before', value: round(best(rescanMs), 1), unit: 'ms', note: 'the start-up (and per-reorg) rescan before this change, same chain, same process' },
          { bench: 'wallet_first_open_10k', value: round(firstMs, 1), unit: 'ms', note: 'no wallet state yet (new or restored wallet): built from the chain once' }
        ]
      } finally {
        await chain.close()
        dir.remove()
      }
    }
  }
]
