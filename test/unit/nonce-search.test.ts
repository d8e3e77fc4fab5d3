import { describe, it, expect, afterEach } from 'vitest'
import { randomBytes } from 'node:crypto'
import { headerHash, searchNonces } from '../../src/miner/sha256-header.mjs'
import { NonceSearch } from '../../src/miner/nonce-search.js'
import { dsha256 } from '../../src/core/hash.js'
import { hashMeetsTarget } from '../../src/core/pow.js'
import { bigIntToBytes, fromHex, toHex } from '../../src/core/bytes.js'
import { waitFor } from '../../bench/support/wait.js'

const GENESIS_HEADER = '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c'

/** About one hash in 256 meets this. */
const EASY_TARGET = (1n << 248n) - 1n
/** Only an all-zero hash meets this. */
const IMPOSSIBLE_TARGET = 0n

function randomHeader (): Uint8Array {
  return new Uint8Array(randomBytes(80))
}

function withNonce (header: Uint8Array, nonce: number): Uint8Array {
  const copy = header.slice()
  new DataView(copy.buffer).setUint32(76, nonce, true)
  return copy
}

async function within<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms) })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}

describe('headerHash', () => {
  it('matches the Bitcoin genesis block hash', () => {
    const hash = headerHash(fromHex(GENESIS_HEADER))
    expect(toHex(hash)).toBe('6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000')
    expect(toHex(hash.slice().reverse())).toBe('000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f')
  })

  it('equals node:crypto double SHA-256 for random headers', () => {
    for (let i = 0; i < 2000; i++) {
      const header = randomHeader()
      expect(toHex(headerHash(header))).toBe(toHex(dsha256(header)))
    }
  })

  it('rejects headers that are not 80 bytes', () => {
    expect(() => headerHash(new Uint8Array(79))).toThrow(TypeError)
  })
})

describe('searchNonces', () => {
  it('finds a nonce that really meets an easy target', () => {
    const header = randomHeader()
    const nonce = searchNonces(header, bigIntToBytes(EASY_TARGET, 32), 1000, 100_000)
    expect(nonce).toBeGreaterThanOrEqual(1000)
    expect(hashMeetsTarget(dsha256(withNonce(header, nonce)), EASY_TARGET)).toBe(true)
    // and it is the first one in the range
    for (let n = 1000; n < nonce; n++) expect(hashMeetsTarget(dsha256(withNonce(header, n)), EASY_TARGET)).toBe(false)
  })

  it('compares beyond the first word when it ties the target', () => {
    // Target = the hash of nonce 7 exactly: only a full comparison can accept it.
    const header = randomHeader()
    const hash = dsha256(withNonce(header, 7))
    const target = BigInt('0x' + toHex(hash))
    expect(searchNonces(header, hash, 7, 1)).toBe(7)
    expect(searchNonces(header, bigIntToBytes(target - 1n, 32), 7, 1)).toBe(-1)
  })

  it('finds nonces above 2^31 and at the very end of the range', () => {
    const header = randomHeader()
    const nonce = searchNonces(header, bigIntToBytes(EASY_TARGET, 32), 0xffff0000, 0x10000)
    expect(nonce).toBeGreaterThanOrEqual(0xffff0000)
    expect(hashMeetsTarget(dsha256(withNonce(header, nonce)), EASY_TARGET)).toBe(true)
    const max = (1n << 256n) - 1n // every hash meets it
    expect(searchNonces(header, bigIntToBytes(max, 32), 0xffffffff, 1)).toBe(0xffffffff)
  })

  it('returns -1 at an impossible target', () => {
    expect(searchNonces(randomHeader(), new Uint8Array(32), 0, 20_000)).toBe(-1)
  })

  it('does not modify the header and refuses ranges past 2^32', () => {
    const header = randomHeader()
    const before = toHex(header)
    searchNonces(header, bigIntToBytes(EASY_TARGET, 32), 0, 1000)
    expect(toHex(header)).toBe(before)
    expect(() => searchNonces(header, new Uint8Array(32), 0xffffffff, 2)).toThrow(RangeError)
  })
})

describe('NonceSearch', () => {
  const searches: NonceSearch[] = []
  function make (threads: number, workerUrl?: URL): NonceSearch {
    const s = new NonceSearch({ threads, workerUrl })
    searches.push(s)
    s.start()
    return s
  }
  afterEach(async () => {
    await Promise.all(searches.splice(0).map(async s => await s.stop()))
  })

  it('finds a valid nonce with 2 threads', async () => {
    const search = make(2)
    const header = randomHeader()
    const target = (1n << 244n) - 1n // ~4k hashes expected per find
    const found = await within(search.search(header, target), 10_000, 'search')
    expect(found).not.toBeNull()
    expect(hashMeetsTarget(dsha256(withNonce(header, found!.nonce)), target)).toBe(true)
    await waitFor(() => search.hashesDone > 0, 'hashesDone to count the search')
  })

  it('aborting resolves null promptly and hashesDone keeps counting while searching', async () => {
    const search = make(2)
    const controller = new AbortController()
    const pending = search.search(randomHeader(), IMPOSSIBLE_TARGET, controller.signal)
    await waitFor(() => search.hashesDone > 0, 'the first hash report')
    const first = search.hashesDone
    await waitFor(() => search.hashesDone > first, 'hashesDone to increase')
    expect(search.hashRate()).toBeGreaterThan(0)
    const abortedAt = performance.now()
    controller.abort()
    expect(await within(pending, 1000, 'abort')).toBeNull()
    expect(performance.now() - abortedAt).toBeLessThan(100)
  })

  it('workers stop hashing once a search is abandoned', async () => {
    const search = make(2)
    const controller = new AbortController()
    const pending = search.search(randomHeader(), IMPOSSIBLE_TARGET, controller.signal)
    await waitFor(() => search.hashesDone > 0, 'the first hash report')
    controller.abort()
    await pending
    // Abandoned jobs report their last hashes, then the count must stand still.
    let last = -1
    let stableSince = performance.now()
    await waitFor(() => {
      if (search.hashesDone !== last) { last = search.hashesDone; stableSince = performance.now() }
      return performance.now() - stableSince > 300
    }, 'hashesDone to stop increasing', 3000)
  })

  it('a new search abandons the old one at once', async () => {
    const search = make(2)
    const old = search.search(randomHeader(), IMPOSSIBLE_TARGET)
    const header = randomHeader()
    const fresh = search.search(header, EASY_TARGET)
    expect(await within(old, 1000, 'old search')).toBeNull()
    const found = await within(fresh, 10_000, 'new search')
    expect(found).not.toBeNull()
    expect(hashMeetsTarget(dsha256(withNonce(header, found!.nonce)), EASY_TARGET)).toBe(true)
  })

  it('an already aborted signal resolves null', async () => {
    const search = make(1)
    expect(await search.search(randomHeader(), EASY_TARGET, AbortSignal.abort())).toBeNull()
  })

  it('stop() terminates the workers and ends a running search', async () => {
    const search = new NonceSearch({ threads: 2 })
    search.start()
    await waitFor(() => search.liveWorkers === 2, 'workers to spawn')
    const pending = search.search(randomHeader(), IMPOSSIBLE_TARGET)
    await search.stop()
    expect(await pending).toBeNull()
    expect(search.liveWorkers).toBe(0)
    await expect(search.search(randomHeader(), EASY_TARGET)).rejects.toThrow(/not started/)
  })

  it('a crashed worker rejects the search instead of hanging it, and is replaced', async () => {
    const crashing = new URL('data:text/javascript,' + encodeURIComponent(
      "import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => { throw new Error('boom') })"))
    const search = make(2, crashing)
    await expect(within(search.search(randomHeader(), IMPOSSIBLE_TARGET), 5000, 'crashed search')).rejects.toThrow(/boom/)
    await expect(within(search.search(randomHeader(), IMPOSSIBLE_TARGET), 5000, 'second search')).rejects.toThrow(/boom/)
    await search.stop()
    await waitFor(() => search.liveWorkers === 0, 'crashed workers to exit')
  })

  it('resolves null once every worker has exhausted its range', async () => {
    // Scanning 2^32 real nonces takes most of an hour, so these workers claim
    // their whole range at once: this checks the main thread's bookkeeping.
    const exhausting = new URL('data:text/javascript,' + encodeURIComponent(
      "import { parentPort } from 'node:worker_threads'; parentPort.on('message', (job) => " +
      "parentPort.postMessage({ type: 'exhausted', generation: job.generation, hashes: job.count }))"))
    const search = make(2, exhausting)
    expect(await within(search.search(randomHeader(), IMPOSSIBLE_TARGET), 5000, 'exhausted search')).toBeNull()
    expect(search.hashesDone).toBe(2 ** 32)
  })

  it('rejects bad arguments', async () => {
    const search = make(1)
    await expect(search.search(new Uint8Array(79), EASY_TARGET)).rejects.toThrow(TypeError)
    await expect(search.search(randomHeader(), 1n << 256n)).rejects.toThrow(RangeError)
    expect(() => new NonceSearch({ threads: 0 })).toThrow(RangeError)
  })
})
