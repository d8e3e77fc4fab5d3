import { type Bench, round } from './harness.js'
import { Chain } from '../src/chain/chain.js'
import { Mempool } from '../src/mempool/mempool.js'
import { createVerifier } from '../src/crypto/create-verifier.js'
import { NobleVerifier, type SignatureCheck, type SignatureVerifier } from '../src/crypto/verifier.js'
import { regtest } from '../src/core/params.js'
import { decodeBlock, decodeTx, encodeBlock, encodeTx } from '../src/core/encoding.js'
import { sighash, txid } from '../src/core/tx.js'
import { blockSize } from '../src/core/validate.js'
import type { Block, Transaction } from '../src/core/types.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tempDir, tipOf, type Key, type Spendable } from './support/chain-fixtures.js'

const TXS = 3000

export interface Workload { prefix: Block[], big: Block, txs: Transaction[] }

/** Blocks that create 6,000 coins of distinct keys, and a block of 3,000 two-input transactions spending them. */
export function buildWorkload (): Workload {
  const miner = newKey()
  const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 3, miner)
  const keys: Key[] = Array.from({ length: 64 }, () => newKey())
  const fanouts: Transaction[] = []
  const coins: Spendable[] = []
  for (let f = 0; f < 3; f++) {
    const cb = mined.coinbases[f]
    const each = (cb.amount - 100_000n) / 2000n
    const tx = spend([cb], Array.from({ length: 2000 }, (_, i) => ({ address: keys[(f * 2000 + i) % keys.length].address, amount: each })))
    fanouts.push(tx)
    const id = txid(tx)
    tx.outputs.forEach((o, index) => coins.push({ txid: id, index, amount: o.amount, key: keys[(f * 2000 + index) % keys.length] }))
  }
  const fanBlock = mineBlock(mined.tip, fanouts, miner, { fees: fanouts.reduce((s, tx, f) => s + mined.coinbases[f].amount - tx.outputs.reduce((a, o) => a + o.amount, 0n), 0n) })
  const tip = tipOf(fanBlock, mined.tip.height + 1)
  const txs: Transaction[] = []
  for (let i = 0; i < TXS; i++) {
    const a = coins[2 * i]
    const b = coins[2 * i + 1]
    const total = a.amount + b.amount - 1000n
    txs.push(spend([a, b], [{ address: a.key.address, amount: total / 2n }, { address: b.key.address, amount: total - total / 2n }]))
  }
  const big = mineBlock(tip, txs, miner, { fees: 1000n * BigInt(TXS) })
  return { prefix: [...mined.blocks, fanBlock], big, txs }
}

/** A chain opened afresh with the workload's prefix connected; `blocks`: those blocks as they are to be given to it (default: the fixture's objects). */
async function freshChain (w: Workload, verifier: SignatureVerifier, blocks: () => Block[] = () => w.prefix): Promise<{ chain: Chain, remove: () => void }> {
  const dir = tempDir('minicoin-bench-')
  const chain = await Chain.open({ location: dir.path, params: regtest, verifier })
  for (const b of blocks()) await chain.processBlock(b)
  return { chain, remove: dir.remove }
}

/**
 * The prefix as a running node gets blocks, decoded from their bytes (from a
 * peer or its own store), rather than the fixture's hand-built objects:
 * those have other object shapes than decoded transactions, and connecting
 * them threw away the compiled code the mempool's transactions had tuned
 * (BENCHMARKS.md, issue 12 session 8).
 */
function decodedPrefix (w: Workload): () => Block[] {
  const bytes = w.prefix.map(b => encodeBlock(b))
  return () => bytes.map(b => decodeBlock(b, regtest.maxBlockSize))
}

export function allChecks (txs: Transaction[]): SignatureCheck[] {
  return txs.flatMap(tx => { const d = sighash(tx, regtest.id); return tx.inputs.map(i => ({ digest: d, signature: i.signature, publicKey: i.publicKey })) })
}

let workload: Workload | undefined
const getWorkload = (): Workload => (workload ??= buildWorkload())

export const benches: Bench[] = [
  {
    name: 'block_connect_3000tx',
    group: 'chain',
    async run () {
      const w = getWorkload()
      const verifier = await createVerifier({ backend: 'native' })
      const bytes = encodeBlock(w.big)
      const times: number[] = []
      const verifyTimes: number[] = []
      // the raw reference: verifying the block's 6,000 signatures alone, on
      // the same pool, once before each trial (on a shared machine one
      // sample of either moved the ratio by 2x)
      const checks = allChecks(w.txs)
      // One untimed connect first, as the API bench submits 200 untimed
      // transactions: a running node that gets a 3,000-transaction block has
      // connected blocks before, and the first connect in a process pays for
      // compiling its code and growing the young generation (BENCHMARKS.md,
      // issue 12 session 9). Printed too (first_connect_ms), so that cost
      // stays in view. MINICOIN_BENCH_CONNECT_WARMUP=0: none (before session 9).
      const warmups = process.env.MINICOIN_BENCH_CONNECT_WARMUP === '0' ? 0 : 1
      let firstMs = 0
      try {
        for (let trial = 0; trial < warmups + 3; trial++) {
          const vStart = performance.now()
          await verifier.verifyBatch(checks)
          verifyTimes.push(performance.now() - vStart)
          // the chain's own pool from the start (swapping it in afterwards no
          // longer reaches the fork choice, which holds its own reference);
          // its prefix decoded from bytes, as a node gets blocks: connected
          // first, the fixture's hand-built objects (other shapes) left the
          // big block's connect slower in 4 of 4 pairs (BENCHMARKS.md, session
          // 9), as they did mempool_accept's in session 8
          const { chain, remove } = await freshChain(w, verifier, decodedPrefix(w))
          const start = performance.now()
          const r = await chain.processBlock(decodeBlock(bytes, regtest.maxBlockSize))
          const ms = performance.now() - start
          if (trial === 0) firstMs = ms
          if (trial < warmups) verifyTimes.pop()
          else times.push(ms)
          if (r.status !== 'connected') throw new Error(`big block not connected: ${r.status}`)
          await chain.close()
          remove()
        }
        // each timed trial in order too
        const trials = times.map(t => round(t, 1))
        times.sort((a, b) => a - b)
        verifyTimes.sort((a, b) => a - b)
        const verifyMs = verifyTimes[1]
        return [
          { bench: 'block_connect_3000tx', value: round(times[1], 1), unit: 'ms', bytes: blockSize(w.big), signatures: checks.length, mark: '<= 1.5x block_verify_signatures_only', reference: 'block_verify_signatures_only', ratio: round(times[1] / verifyMs, 2), trials, warmups, first_connect_ms: round(firstMs, 1) },
          { bench: 'block_verify_signatures_only', value: round(verifyMs, 1), unit: 'ms', note: 'median of 3, one before each connect' }
        ]
      } finally {
        await verifier.close()
      }
    }
  },
  {
    name: 'mempool_accept',
    group: 'chain',
    async run () {
      const w = getWorkload()
      const verifier = await createVerifier({ backend: 'native' })
      const prefix = decodedPrefix(w)
      const { chain, remove } = await freshChain(w, verifier, prefix)
      try {
        // the signature limit, measured in this run on the same pool: the
        // workload's own 6,000 signatures in one batch, best of two rounds
        const checks = allChecks(w.txs)
        let sigRate = 0
        // CPU as well (all threads of this process): on a shared machine the
        // CPU per transaction moves less than the rates do
        let sigCpu = Infinity
        for (let r = 0; r < 2; r++) {
          const v0 = performance.now()
          const c0 = process.cpuUsage()
          await verifier.verifyBatch(checks)
          const c = process.cpuUsage(c0)
          sigRate = Math.max(sigRate, checks.length / ((performance.now() - v0) / 1000))
          sigCpu = Math.min(sigCpu, (c.user + c.system) / (checks.length / 2))
        }
        // Two passes, each into its own empty pool, each verifying every
        // signature: the first runs the acceptance code cold (interpreted,
        // then compiled as it goes), the second as a running node does,
        // compiled; the limit above is the better of two rounds too. Both
        // are printed. Nothing else carries over to the second pass: it
        // runs over a chain opened afresh (an empty coin cache) and takes
        // the transactions decoded afresh from their bytes, as they arrive
        // from a peer or the API (no txid or sighash remembered). The chains'
        // blocks are decoded from their bytes too, as a node gets them.
        const rates: number[] = []
        const cpus: number[] = []
        for (let pass = 0; pass < 2; pass++) {
          const own = pass === 0 ? { chain, remove: () => {} } : await freshChain(w, verifier, prefix)
          const txs = w.txs.map(tx => decodeTx(encodeTx(tx), regtest.maxTxSize))
          const pool = new Mempool({ chain: own.chain, verifier })
          const start = performance.now()
          const c0 = process.cpuUsage()
          // peers deliver many transactions at once: accept them concurrently in windows
          for (let i = 0; i < txs.length; i += 500) {
            await Promise.all(txs.slice(i, i + 500).map(async tx => await pool.accept(tx)))
          }
          const seconds = (performance.now() - start) / 1000
          if (pass > 0) { await own.chain.close(); own.remove() }
          if (pool.size !== w.txs.length) throw new Error(`only ${pool.size} accepted`)
          rates.push(w.txs.length / seconds)
          const c = process.cpuUsage(c0)
          cpus.push((c.user + c.system) / w.txs.length)
        }
        const [coldRate, txRate] = rates
        const limit = sigRate / 2
        return [
          { bench: 'mempool_accept', value: round(txRate), unit: 'tx/s', inputs: 2, mark: '>= 60% of the signature limit', reference: 'mempool_signature_limit', of_limit: round(txRate / limit, 2), first_pass: round(coldRate), first_pass_of_limit: round(coldRate / limit, 2), cpu_us_per_tx: round(cpus[1], 1), first_pass_cpu_us_per_tx: round(cpus[0], 1), cpu_of_limit: round(sigCpu / cpus[1], 2), note: 'second pass of the same 3,000 transactions into an empty pool; first_pass: the code cold; CPU: all threads; cpu_of_limit: the limit\'s CPU per transaction over this pass\'s (what of_limit would be with both cores always busy; it moves less with the load)' },
          { bench: 'mempool_signature_limit', value: round(limit), unit: 'tx/s', sig_per_s: round(sigRate), cpu_us_per_tx: round(sigCpu, 1), note: 'the same pool verifying these transactions\' signatures alone, two per transaction' }
        ]
      } finally {
        await chain.close()
        remove()
        await verifier.close()
      }
    }
  },
  {
    name: 'chain_reopen_10k',
    group: 'chain',
    async run () {
      const dir = tempDir('minicoin-bench-')
      try {
        let chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
        const miner = newKey()
        let tip = genesisTip()
        for (let i = 0; i < 10_000; i++) {
          const b = mineBlock(tip, [], miner)
          await chain.processBlock(b)
          tip = tipOf(b, i + 1)
        }
        await chain.close()
        const heapBefore = process.memoryUsage().heapUsed
        const start = performance.now()
        chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
        const ms = performance.now() - start
        const { rss, heapUsed } = process.memoryUsage()
        if (chain.height !== 10_000) throw new Error(`reopened at ${chain.height}`)
        await chain.close()
        return [
          { bench: 'chain_reopen_10k', value: round(ms, 1), unit: 'ms', mark: '<= 2000' },
          { bench: 'chain_reopen_10k_rss', value: round(rss / 1048576, 1), unit: 'MiB', heap_growth_mib: round((heapUsed - heapBefore) / 1048576, 1), note: 'RSS of the whole bench process after the reopen' }
        ]
      } finally {
        dir.remove()
      }
    }
  }
]
