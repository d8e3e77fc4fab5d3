// Memory of a full coin cache (DEFAULT_MAX_COINS coins), per coin: the heap
// and the memory outside it (ArrayBuffer backing stores) that the cached
// coins keep, measured as the difference against an empty cache after full
// collections. Coins arrive as a block's batch gives them (views of one
// buffer per block of 1,000), so a cache that pinned those would show it.
//   node --expose-gc --import tsx scripts/coin-cache-memory.ts
import { CoinCache, DEFAULT_MAX_COINS } from '../src/chain/coin-cache.js'
import { coinKey, type BatchOp } from '../src/chain/db-layout.js'
import { COIN_BYTES, encodeCoin } from '../src/chain/records.js'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')
const settle = (): NodeJS.MemoryUsage => { gc(); gc(); return process.memoryUsage() }

const cache = new CoinCache(() => undefined)
const before = settle()
const perBlock = 1000
for (let b = 0; b < DEFAULT_MAX_COINS / perBlock; b++) {
  const slab = new Uint8Array(perBlock * COIN_BYTES)
  const ops: BatchOp[] = []
  const id = new Uint8Array(32)
  for (let i = 0; i < perBlock; i++) {
    id[0] = b; id[1] = i >> 8; id[2] = i & 255
    const value = slab.subarray(i * COIN_BYTES, (i + 1) * COIN_BYTES)
    encodeCoin({ amount: BigInt(b * perBlock + i), address: new Uint8Array(20).fill(i & 255), height: b, coinbase: false }, value)
    ops.push({ type: 'put', key: coinKey(id, 0), value })
  }
  cache.committed(ops)
}
const after = settle()
if (cache.size !== DEFAULT_MAX_COINS) throw new Error(`cached ${cache.size}`)
const per = (k: keyof NodeJS.MemoryUsage): number => (after[k] - before[k]) / cache.size
console.log(JSON.stringify({ coins: cache.size, heapPerCoin: Math.round(per('heapUsed')), externalPerCoin: Math.round(per('external')), arrayBuffersPerCoin: Math.round(per('arrayBuffers')), rssPerCoin: Math.round(per('rss')), totalMiB: +((after.heapUsed + after.external - before.heapUsed - before.external) / 2 ** 20).toFixed(2) }))
