// Issue 9.2: headers (and side blocks) of a branch are stored only once the
// branch can win: its work reaches the tip's minus NEAR_TIP_WINDOW blocks.
// Until then they are checked and held in bounded memory per peer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Chain } from '../../src/chain/chain.js'
import { BlockIndex } from '../../src/chain/block-index.js'
import { HeaderPresync, NEAR_TIP_WINDOW } from '../../src/chain/header-presync.js'
import { blockHashHex } from '../../src/core/block.js'
import { ValidationError } from '../../src/core/errors.js'
import { regtest } from '../../src/core/params.js'
import type { Block, BlockHeader } from '../../src/core/types.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { HeaderChain } from '../../src/spv/header-chain.js'
import { genesisTip, mineChain, newKey, tempDir, tipOf } from '../../bench/support/chain-fixtures.js'

const miner = newKey()
const HEIGHT = 200
// regtest: every block has the same work, so the threshold is the tip height minus the window
const LOWEST_STORED_TIP = HEIGHT - NEAR_TIP_WINDOW
const main = mineChain(genesisTip(), HEIGHT, miner, 1).blocks
const now = (): number => main[main.length - 1].header.time + 60

function fork (fromHeight: number, count: number, tag: number): Block[] {
  const parent = fromHeight === 0 ? genesisTip() : tipOf(main[fromHeight - 1], fromHeight)
  return mineChain(parent, count, miner, tag).blocks
}
const headersOf = (blocks: Block[]): BlockHeader[] => blocks.map(b => b.header)

async function codeOf (p: Promise<unknown>): Promise<string> {
  try { await p } catch (err) { expect(err).toBeInstanceOf(ValidationError); return (err as ValidationError).code }
  return 'ok'
}

describe('header anti-DoS rule: full chain', () => {
  const dir = tempDir()
  let chain: Chain
  beforeAll(async () => {
    chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier(), now })
    for (const b of main) await chain.processBlock(b)
  })
  afterAll(async () => { await chain.close(); dir.remove() })

  it('holds a low-work fork from genesis in memory and stores none of it', async () => {
    const low = fork(0, 30, 2)
    const size = chain.index.size
    const batch = await chain.processHeaders(headersOf(low), 'peer-a')
    expect(batch).toHaveLength(0)
    expect(batch.held).toBe(30)
    expect(chain.index.size).toBe(size)
    expect(chain.presync.heldBy('peer-a')).toBe(30)
    chain.releaseHeldHeaders('peer-a')
    expect(chain.presync.held).toBe(0)
  })

  it('stores a fork within the window below the tip at once', async () => {
    const near = fork(HEIGHT - 10, 1, 3)
    const batch = await chain.processHeaders(headersOf(near), 'peer-b')
    expect(batch.map(e => e.height)).toEqual([HEIGHT - 9])
    expect(batch.held).toBe(0)
  })

  it('stores a held branch, from its fork on, once a later batch from the same peer makes it able to win', async () => {
    const from = 20
    const branch = fork(from, LOWEST_STORED_TIP - from + 5, 4)
    const firstPart = branch.slice(0, 30)
    expect((await chain.processHeaders(headersOf(firstPart), 'peer-c')).held).toBe(30)
    expect(chain.getEntry(blockHashHex(branch[0].header))).toBeUndefined()
    // another peer's batch does not extend peer-c's branch
    expect(await codeOf(chain.processHeaders(headersOf(branch.slice(30)), 'peer-d'))).toBe('header-orphan')
    const stored = await chain.processHeaders(headersOf(branch.slice(30)), 'peer-c')
    expect(stored).toHaveLength(branch.length)
    expect(stored[0].height).toBe(from + 1)
    expect(stored[stored.length - 1].height).toBe(from + branch.length)
    expect(chain.presync.heldBy('peer-c')).toBe(0)
  })

  it('refuses a batch whose headers do not each build on the one before', async () => {
    const a = fork(HEIGHT - 1, 2, 5)
    const b = fork(HEIGHT - 1, 2, 6)
    expect(await codeOf(chain.processHeaders([a[0].header, b[1].header], 'peer-e'))).toBe('headers-not-continuous')
    // the valid prefix was stored
    expect(chain.getEntry(blockHashHex(a[0].header))).toBeDefined()
  })

  it('does not store a side block whose branch cannot win: ignore', async () => {
    const side = fork(0, 1, 7)[0]
    const err = await chain.processBlock(side).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).code).toBe('block-low-work')
    expect((err as ValidationError).severity).toBe('ignore')
    expect(chain.getEntry(blockHashHex(side.header))).toBeUndefined()
    expect(chain.getBlockBytes(blockHashHex(side.header))).toBeUndefined()
    // a side block near the tip is stored as before
    const near = fork(HEIGHT - 1, 1, 8)[0]
    expect((await chain.processBlock(near)).status).toBe('side')
    expect(chain.getBlockBytes(blockHashHex(near.header))).toBeDefined()
  })
})

describe('header anti-DoS rule: bounds', () => {
  const genesis = BlockIndex.create(regtest.genesis.header, undefined, 0)
  const index = new BlockIndex()
  index.insert(genesis)
  index.setTip(genesis)
  // a tip with more work than the low-work branches below can reach
  const strongTip = { ...genesis, work: 10n ** 12n }
  const hooks = { refuseInvalid: () => {} }
  const t = regtest.genesis.header.time + 1_000_000

  it('a peer gets headers-low-work after its allowance, even when it starts new branches, and its branch is dropped', () => {
    const presync = new HeaderPresync(regtest, 50, 1000)
    const a = headersOf(fork(0, 40, 9))
    expect(presync.check('p', a, index, strongTip, t, hooks).held).toBe(40)
    // a different branch replaces the first but does not reset the count
    const b = headersOf(fork(0, 20, 10))
    const r = presync.check('p', b, index, strongTip, t, hooks)
    expect(r.failure?.code).toBe('headers-low-work')
    expect(r.held).toBe(0)
    expect(presync.held).toBe(0)
    // after it disconnects it starts from zero
    presync.forget('p')
    expect(presync.check('p', b, index, strongTip, t, hooks).held).toBe(20)
  })

  it('holds at most the global cap, evicting the branch extended longest ago', () => {
    const presync = new HeaderPresync(regtest, 100, 60)
    for (const [i, peer] of ['x', 'y', 'z'].entries()) presync.check(peer, headersOf(fork(0, 25, 11 + i)), index, strongTip, t, hooks)
    expect(presync.held).toBeLessThanOrEqual(60)
    expect(presync.heldBy('x')).toBe(0)
    expect(presync.heldBy('z')).toBe(25)
    expect(presync.peakHeld).toBeLessThanOrEqual(60)
  })
})

describe('header anti-DoS rule: light client header chain', () => {
  const dir = tempDir()
  let headers: HeaderChain
  beforeAll(async () => {
    headers = await HeaderChain.open({ location: dir.path, params: regtest, now })
    await headers.processHeaders(headersOf(main))
  })
  afterAll(async () => { await headers.close(); dir.remove() })

  it('holds a low-work fork, stores a fork near the tip', async () => {
    const size = headers.index.size
    const low = await headers.processHeaders(headersOf(fork(0, 30, 20)), 'peer-a')
    expect(low.added).toHaveLength(0)
    expect(low.held).toBe(30)
    expect(headers.index.size).toBe(size)
    headers.releaseHeldHeaders('peer-a')
    const near = await headers.processHeaders(headersOf(fork(HEIGHT - 5, 1, 21)), 'peer-b')
    expect(near.added).toHaveLength(1)
  })
})
