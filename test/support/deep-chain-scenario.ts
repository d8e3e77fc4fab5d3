// Run by test/unit/mempool-chains.test.ts in a child process with a small
// stack (node --stack-size): a chain of unconfirmed transactions deeper than
// the deepest possible recursion goes through every mempool walk (accept,
// template, expiry, reorg re-check, double spend in a connect event). Any
// recursion of one frame per level would overflow. Prints one JSON line.
import { Chain } from '../../src/chain/chain.js'
import { Mempool } from '../../src/mempool/mempool.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { createVerifier } from '../../src/crypto/create-verifier.js'
import { regtest } from '../../src/core/params.js'
import { toHex } from '../../src/core/bytes.js'
import { txid } from '../../src/core/tx.js'
import type { Transaction } from '../../src/core/types.js'
import { genesisTip, mineBlock, mineChain, newKey, outputsOf, spend, tempDir, tipOf } from '../../bench/support/chain-fixtures.js'

/** Frames of the smallest recursive function this stack holds. */
function recursionLimit (): number {
  let depth = 0
  const down = (n: number): number => { depth = n; return down(n + 1) + 1 }
  try { down(0) } catch { /* the stack is full */ }
  return depth
}

const depth = Number(process.argv[2] ?? 2500)
const result: Record<string, unknown> = { recursionLimit: recursionLimit(), depth }
const miner = newKey()
const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 6, miner)
const dir = tempDir()
const chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
const verifier = await createVerifier({ backend: 'native' })
const errors: string[] = []
chain.on('listenerError', (event, err) => errors.push(`${event}: ${(err as Error).message}`))
try {
  for (const b of mined.blocks) await chain.processBlock(b)
  let clock = 1_000_000
  const pool = new Mempool({ chain, verifier, expiryMs: 60_000, now: () => clock, limits: { ancestors: 1e9, ancestorBytes: 1e12, descendants: 1e9, descendantBytes: 1e12 } })
  // the chain's root spends an output of a transaction in the tip block, which a reorg returns
  const coin = mined.coinbases[0]
  const fanout = spend([coin], [{ address: miner.address, amount: coin.amount - 1000n }])
  await chain.processBlock(mineBlock(mined.tip, [fanout], miner, { fees: 1000n, tag: 1 }))
  const root = outputsOf(fanout, miner)[0]
  const txs: Transaction[] = []
  let prev = root
  for (let i = 0; i < depth; i++) {
    const tx = spend([prev], [{ address: miner.address, amount: prev.amount - 200n }])
    txs.push(tx)
    prev = { txid: txid(tx), index: 0, amount: prev.amount - 200n, key: miner }
  }
  const ids = txs.map(tx => toHex(txid(tx)))
  for (const tx of txs) await pool.accept(tx)
  result.accepted = pool.size
  result.templateInOrder = pool.selectForBlock(100_000_000).every((e, i) => e.txidHex === ids[i])

  clock += 61_000
  result.expired = pool.expire()
  for (const tx of txs) await pool.accept(tx)
  result.acceptedAgain = pool.size

  const r1 = mineBlock(mined.tip, [], miner, { tag: 2 })
  const r2 = mineBlock(tipOf(r1, mined.tip.height + 1), [], miner, { tag: 2 })
  await chain.processBlock(r1)
  await chain.processBlock(r2)
  result.afterReorg = pool.size
  result.fanoutDescendants = pool.get(toHex(txid(fanout)))?.descCount

  const doubleSpend = spend([root], [{ address: newKey().address, amount: root.amount - 1000n }])
  result.conflictBlock = (await chain.processBlock(mineBlock(tipOf(r2, mined.tip.height + 2), [fanout, doubleSpend], miner, { fees: 2000n }))).status
  result.afterConflict = pool.size
  result.consistent = pool.checkConsistency().length === 0
} catch (err) {
  result.error = (err as Error).message
} finally {
  result.listenerErrors = errors
  await verifier.close()
  await chain.close()
  dir.remove()
}
process.stdout.write(JSON.stringify(result) + '\n')
