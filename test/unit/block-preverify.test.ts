// Blocks verified ahead of connecting (the download pipeline): each signature
// is verified once, a bad one still rejects the block, and only the very
// object that was preverified skips verification when it connects.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Chain } from '../../src/chain/chain.js'
import { CountingVerifier } from '../support/counting-verifier.js'
import { regtest } from '../../src/core/params.js'
import { decodeBlock, encodeBlock } from '../../src/core/encoding.js'
import { ValidationError } from '../../src/core/errors.js'
import type { Block } from '../../src/core/types.js'
import { genesisTip, mineBlock, mineChain, newKey, spend, tempDir, tipOf, type Key, type Spendable } from '../../bench/support/chain-fixtures.js'

let dir: ReturnType<typeof tempDir>
let chain: Chain
let verifier: CountingVerifier
let miner: Key
let prefix: Block[]
let coins: Spendable[]
let tip: ReturnType<typeof tipOf>

beforeEach(async () => {
  dir = tempDir()
  verifier = new CountingVerifier()
  chain = await Chain.open({ location: dir.path, params: regtest, verifier })
  miner = newKey()
  const mined = mineChain(genesisTip(), regtest.coinbaseMaturity + 2, miner)
  prefix = mined.blocks
  coins = mined.coinbases
  tip = mined.tip
  for (const b of prefix) await chain.processBlock(b)
  verifier.checked = 0
})

afterEach(async () => {
  await chain.close()
  dir.remove()
})

/** A block with two transactions spending the first two coinbases; `tamper` breaks the second one's signature. */
function blockWithSpends (tamper = false): Block {
  const txs = coins.slice(0, 2).map(c => spend([c], [{ address: miner.address, amount: c.amount - 1000n }]))
  if (tamper) {
    const sig = txs[1].inputs[0].signature.slice()
    sig[10] ^= 1
    txs[1] = { ...txs[1], inputs: [{ ...txs[1].inputs[0], signature: sig }] }
  }
  return mineBlock(tip, txs, miner, { fees: 2000n })
}

describe('preverified blocks', () => {
  it('connect with each signature verified once', async () => {
    const block = blockWithSpends()
    chain.preverify(block)
    expect(verifier.checked).toBe(2)
    expect((await chain.processBlock(block)).status).toBe('connected')
    expect(verifier.checked).toBe(2)
    expect(chain.height).toBe(tip.height + 1)
  })

  it('are still rejected for a bad signature', async () => {
    const block = blockWithSpends(true)
    chain.preverify(block)
    const err = await chain.processBlock(block).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).code).toBe('tx-bad-signature')
    expect((err as ValidationError).message).toMatch(/transaction 2 /)
    expect(chain.height).toBe(tip.height)
  })

  it('on the tip start verifying before the body checks; a block that fails them is cancelled, with their verdict', async () => {
    const good = blockWithSpends()
    // one output changed after mining: the header (and its proof of work) stands, the Merkle root no longer matches
    const tx = good.transactions[2]
    const block: Block = { ...good, transactions: [...good.transactions.slice(0, 2), { ...tx, outputs: [{ ...tx.outputs[0], amount: tx.outputs[0].amount - 1n }] }] }
    const err = await chain.processBlock(block).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).code).toBe('block-bad-merkle-root')
    // the signatures were sent before checkBlock ran, and cancelled when it failed
    expect(verifier.signals.length).toBeGreaterThan(0)
    expect(verifier.signals.every(s => s?.aborted === true)).toBe(true)
    expect(chain.height).toBe(tip.height)
    // the valid block connects afterwards, verified in full
    verifier.checked = 0
    expect((await chain.processBlock(good)).status).toBe('connected')
    expect(verifier.checked).toBe(2)
  })

  it('preverified by a download and failing the body checks: cancelled, with their verdict', async () => {
    const good = blockWithSpends()
    const block: Block = { ...good, transactions: [good.transactions[0], good.transactions[1], good.transactions[1]] }
    chain.preverify(block)
    const err = await chain.processBlock(block).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).code).not.toBe('tx-bad-signature')
    expect(verifier.signals.length).toBeGreaterThan(0)
    expect(verifier.signals.every(s => s?.aborted === true)).toBe(true)
  })

  it('count for that object only: an equal copy is verified again', async () => {
    const block = blockWithSpends()
    chain.preverify(block)
    const copy = decodeBlock(encodeBlock(block), regtest.maxBlockSize)
    expect((await chain.processBlock(copy)).status).toBe('connected')
    expect(verifier.checked).toBe(4)
  })
})
