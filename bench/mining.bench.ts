// Nonce search speed: the JS midstate kernel on one core, node:crypto for
// comparison, and NonceSearch across two worker threads.
import { randomBytes } from 'node:crypto'
import { searchNonces } from '../src/miner/sha256-header.mjs'
import { NonceSearch } from '../src/miner/nonce-search.js'
import { dsha256 } from '../src/core/hash.js'
import { round, type Bench, type BenchResult } from './harness.js'

/** Nothing meets it, so every search runs its full range. */
const IMPOSSIBLE_TARGET = new Uint8Array(32)
const KERNEL_CALL = 1 << 18
const MEASURE_MS = 3000

function randomHeader (): Uint8Array {
  return new Uint8Array(randomBytes(80))
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** Hashes per second of `fn(nonce, count)`, warmed up first. */
function timeHashes (fn: (nonce: number, count: number) => void, batch: number, ms: number): number {
  fn(0, batch) // warm-up: let the JIT settle
  let nonce = batch
  let hashes = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    fn(nonce, batch)
    nonce += batch
    hashes += batch
    now = performance.now()
  }
  return hashes / ((now - start) / 1000)
}

function kernelRate (): number {
  const header = randomHeader()
  return timeHashes((nonce, count) => searchNonces(header, IMPOSSIBLE_TARGET, nonce, count), KERNEL_CALL, MEASURE_MS)
}

function nodeCryptoRate (): number {
  const header = randomHeader()
  const view = new DataView(header.buffer)
  let sink = 0
  const rate = timeHashes((nonce, count) => {
    for (let i = 0; i < count; i++) {
      view.setUint32(76, nonce + i, true)
      sink ^= dsha256(header)[0]
    }
  }, 4096, MEASURE_MS)
  if (sink === 256) console.log('unreachable') // keeps the hashes observable
  return rate
}

async function workersRate (threads: number): Promise<{ rate: number, reported: number }> {
  const search = new NonceSearch({ threads })
  search.start()
  try {
    const pending = search.search(randomHeader(), 0n)
    await sleep(500) // workers load and warm up
    const h0 = search.hashesDone
    const t0 = performance.now()
    await sleep(MEASURE_MS)
    const rate = (search.hashesDone - h0) / ((performance.now() - t0) / 1000)
    const reported = search.hashRate()
    await search.stop()
    await pending
    return { rate, reported }
  } finally {
    await search.stop()
  }
}

const mhs = (rate: number): number => round(rate / 1e6, 3)

export const benches: Bench[] = [
  {
    name: 'mining_hashrate_per_core',
    group: 'chain',
    run: async (): Promise<BenchResult[]> => {
      const crypto = nodeCryptoRate()
      const kernel = kernelRate()
      return [
        { bench: 'mining_hashrate_per_core', value: mhs(kernel), unit: 'MH/s', reference: `node:crypto dsha256 ${mhs(crypto)} MH/s on this core; mark >= 1.0 MH/s` },
        { bench: 'mining_hashrate_node_crypto', value: mhs(crypto), unit: 'MH/s' }
      ]
    }
  },
  {
    name: 'mining_hashrate_2workers',
    group: 'chain',
    run: async (): Promise<BenchResult[]> => {
      const { rate, reported } = await workersRate(2)
      return [{ bench: 'mining_hashrate_2workers', value: mhs(rate), unit: 'MH/s', hashRateMetric: mhs(reported), reference: 'NonceSearch({ threads: 2 }); about twice mining_hashrate_per_core on 2 free cores' }]
    }
  }
]
