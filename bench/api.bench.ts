// What the explorer API costs against full blocks (issue 16.8, 10.7): each
// request's time and the longest stretch it blocks the event loop, with the
// old way (decode a whole block and view every transaction, per listed
// block) measured in the same run as the reference.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { type Bench, round } from './harness.js'
import { Chain } from '../src/chain/chain.js'
import { createVerifier } from '../src/crypto/create-verifier.js'
import { regtest } from '../src/core/params.js'
import { txid } from '../src/core/tx.js'
import type { Block, Transaction } from '../src/core/types.js'
import { ChainExplorer } from '../src/node/chain-explorer.js'
import { blockView } from '../src/node/views.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tempDir, tipOf, type Spendable, type Tip } from './support/chain-fixtures.js'

const FULL_BLOCKS = 3
const TXS_PER_BLOCK = 20
const OUTPUTS_PER_TX = 2900

/** ~1.5 MB: 20 chained transactions of 2,900 outputs each, all but the change to one payee. */
function fullBlock (parent: Tip, coin: Spendable, payee: Uint8Array): { block: Block, change: Spendable } {
  const txs: Transaction[] = []
  let prev = coin
  for (let k = 0; k < TXS_PER_BLOCK; k++) {
    const outputs = Array.from({ length: OUTPUTS_PER_TX - 1 }, () => ({ address: payee, amount: 1000n }))
    const change = prev.amount - 1000n * BigInt(outputs.length)
    const tx = spend([prev], [...outputs, { address: prev.key.address, amount: change }])
    txs.push(tx)
    prev = { txid: txid(tx), index: outputs.length, amount: change, key: prev.key }
  }
  return { block: mineBlock(parent, txs, coin.key), change: prev }
}

/** Wall time and the longest event-loop stall while `fn` runs. */
async function measure (fn: () => Promise<unknown>): Promise<{ ms: number, maxStallMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  const start = performance.now()
  await fn()
  const ms = performance.now() - start
  h.disable()
  return { ms, maxStallMs: h.max / 1e6 }
}

export const benches: Bench[] = [
  {
    name: 'api_worst_request',
    group: 'chain',
    async run () {
      const dir = tempDir('minicoin-bench-api-')
      const verifier = await createVerifier({ backend: 'native' })
      const chain = await Chain.open({ location: dir.path, params: regtest, verifier })
      try {
        const key = newKey()
        const payee = newKey()
        const mined = mineChain(genesisTip(), 5, key)
        for (const b of mined.blocks) await chain.processBlock(b)
        let tip = mined.tip
        let coin = mined.coinbases[0]
        const hashes: string[] = []
        for (let i = 0; i < FULL_BLOCKS; i++) {
          const { block, change } = fullBlock(tip, coin, payee.address)
          hashes.push((await chain.processBlock(block)).hash)
          tip = tipOf(block, tip.height + 1)
          coin = change
        }
        const full = hashes[1]
        // a fresh explorer: nothing cached, as after a restart
        const explorer = new ChainExplorer(chain, regtest)
        const list = await measure(async () => await explorer.blockSummaries(undefined, 100))
        const first = await measure(async () => JSON.stringify(await explorer.block(full, 25)))
        const page = await measure(async () => JSON.stringify(await explorer.blockTxs(full, 5, 100)))
        const history = await measure(async () => JSON.stringify(await explorer.addressHistory('', payee.address, undefined, 100)))
        // the old /api/blocks: every listed block decoded and every transaction viewed
        const old = await measure(async () => {
          for (const h of hashes) {
            const e = chain.getEntry(h)!
            JSON.stringify(blockView(chain.getBlock(h)!, e, chain.height, true, regtest))
          }
        })
        // the old way never yields: its stall is its whole time
        const oldPerBlock = old.ms / FULL_BLOCKS
        const worst = Math.max(list.ms, first.ms, page.ms, history.ms)
        const worstStall = Math.max(list.maxStallMs, first.maxStallMs, page.maxStallMs, history.maxStallMs)
        const ref = `old /api/blocks: ${round(oldPerBlock)} ms per full block (x100 = ${round(oldPerBlock * 100 / 1000, 1)} s for limit=100, all of it one synchronous stall)`
        return [
          { bench: 'api_worst_request_ms', value: round(worst, 1), unit: 'ms', reference: ref, list100: round(list.ms, 1), blockFirstPage: round(first.ms, 1), txPage: round(page.ms, 1), addressPage: round(history.ms, 1), work: explorer.work },
          { bench: 'api_worst_event_loop_stall_ms', value: round(worstStall, 1), unit: 'ms', reference: ref }
        ]
      } finally {
        await chain.close()
        await verifier.close()
        dir.remove()
      }
    }
  }
]
