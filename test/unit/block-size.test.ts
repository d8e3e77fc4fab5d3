// One definition of a block's size, its canonical encoding: the consensus
// limit, the miner's template and every wire limit agree on it. And the
// header peek that lets gossip judge a block before decoding its body.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import protobuf from 'protobufjs'
import { Chain } from '../../src/chain/chain.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { networks, regtest } from '../../src/core/params.js'
import { decodeBlock, encodeBlock, encodeHeaderMessage, fieldBytes, headerFieldBytes, MAX_HEADER_FIELD_BYTES, peekBlockHeader } from '../../src/core/encoding.js'
import { blockSize, checkBlock } from '../../src/core/validate.js'
import { txid, txSize } from '../../src/core/tx.js'
import { toHex } from '../../src/core/bytes.js'
import { ValidationError } from '../../src/core/errors.js'
import type { Block, Transaction } from '../../src/core/types.js'
import type { Mempool, MempoolEntry } from '../../src/mempool/mempool.js'
import { selectPackages } from '../../src/mempool/package-selection.js'
import { buildTemplate } from '../../src/miner/template.js'
import { checkWireLimits, limitsFor } from '../../src/p2p/protocols.js'
import { genesisTip, mineChain, newKey, tempDir } from '../../bench/support/chain-fixtures.js'
import { coinbaseTx, makeBlock, spendTx } from '../../bench/support/core-fixtures.js'

function codeOf (fn: () => void): string {
  try { fn() } catch (err) { return (err as ValidationError).code }
  return 'ok'
}

/** As many minimal transactions (one input, one output) as make `bytes` of transaction data. */
function minimalTxs (bytes: number): Transaction[] {
  const size = txSize(spendTx(1, 1))
  return Array.from({ length: Math.floor(bytes / size) }, () => spendTx(1, 1))
}

describe('block size', () => {
  it('is the length of the canonical encoding, whatever the transaction sizes', () => {
    const blocks: Block[] = [
      regtest.genesis,
      ...mineChain(genesisTip(), 2, newKey()).blocks,
      makeBlock(regtest, [coinbaseTx(1), spendTx(1, 1), spendTx(2, 3)]),
      // transactions whose length varints take 2 and 3 bytes
      makeBlock(regtest, [coinbaseTx(1), spendTx(40, 2), spendTx(150, 1)])
    ]
    for (const b of blocks) expect(blockSize(b)).toBe(encodeBlock(b).length)
    const maxHeader = { version: 0xffffffff, prevHash: new Uint8Array(32).fill(1), merkleRoot: new Uint8Array(32).fill(2), time: 0xffffffff, bits: 0xffffffff, nonce: 0xffffffff }
    expect(headerFieldBytes(maxHeader)).toBe(MAX_HEADER_FIELD_BYTES)
  })

  it('rejects a block whose encoding exceeds the limit though its header and transaction bytes do not', () => {
    // 80 + transaction bytes <= maxBlockSize (the old count), encoding ~1.7% larger
    const txs = [coinbaseTx(1), ...minimalTxs(regtest.maxBlockSize - 80 - 200)]
    const block = makeBlock(regtest, txs)
    expect(80 + txs.reduce((n, tx) => n + txSize(tx), 0)).toBeLessThanOrEqual(regtest.maxBlockSize)
    expect(encodeBlock(block).length).toBeGreaterThan(regtest.maxBlockSize)
    expect(codeOf(() => checkBlock(block, regtest))).toBe('block-oversize')
    // and the largest block the rule admits has exactly the limit's encoding
    const fits = { ...block, transactions: block.transactions.slice(0, -300) }
    expect(blockSize(fits)).toBeLessThanOrEqual(regtest.maxBlockSize)
  })

  it('fits every wire limit on every network: gossip message, gossip frame, sync reply', () => {
    for (const p of Object.values(networks)) {
      const l = limitsFor(p)
      expect(l.blockMessageBytes).toBeGreaterThanOrEqual(p.maxBlockSize)
      expect(l.gossipFrameBytes).toBeGreaterThan(2 * p.maxBlockSize)
      expect(l.blockReplyBytes).toBeGreaterThanOrEqual(p.maxBlockSize)
      expect(l.responseBytes).toBeGreaterThan(l.blockReplyBytes)
      expect(() => checkWireLimits(p, { ...l, blockMessageBytes: p.maxBlockSize - 1 })).toThrow(/gossip message/)
      expect(() => checkWireLimits(p, { ...l, blockReplyBytes: p.maxBlockSize - 1 })).toThrow(/sync reply/)
    }
  })
})

describe('miner template size accounting', () => {
  let dir: ReturnType<typeof tempDir>
  let chain: Chain
  beforeEach(async () => {
    dir = tempDir()
    chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
  })
  afterEach(async () => {
    await chain.close()
    dir.remove()
  })

  it('fills a block with minimal transactions up to, never over, the limit of its encoding', () => {
    const entries: MempoolEntry[] = minimalTxs(regtest.maxBlockSize + 100_000).map((tx, i) => ({
      tx, txid: txid(tx), txidHex: toHex(txid(tx)), fee: 1000n + BigInt(i % 7), size: txSize(tx), time: 0, parents: new Set(), children: new Set(), seq: i, descCount: 1, descSize: txSize(tx), descFee: 1000n + BigInt(i % 7), heightSensitive: false, evictKey: 0
    }))
    const mempool = { selectForBlock: (max: number) => selectPackages(entries, max) } as unknown as Mempool
    const template = buildTemplate(chain, mempool, newKey().address, 0n, regtest.genesis.header.time + 10)
    // whatever nonce and time the search ends with
    const block = { ...template.block, header: { ...template.block.header, nonce: 0xffffffff, time: 0xffffffff } }
    const size = encodeBlock(block).length
    expect(blockSize(block)).toBe(size)
    expect(size).toBeLessThanOrEqual(regtest.maxBlockSize)
    // full: not even one more minimal transaction would fit
    expect(size).toBeGreaterThan(regtest.maxBlockSize - fieldBytes(entries[0].size) - 32)
    expect(template.fees).toBe(template.block.transactions.slice(1).reduce((n, tx) => n + entries.find(e => e.tx === tx)!.fee, 0n))
  })
})

describe('peekBlockHeader', () => {
  const block = makeBlock(regtest, [coinbaseTx(1), spendTx(1, 1), spendTx(2, 2)])
  const bytes = encodeBlock(block)
  const header = encodeHeaderMessage(block.header)

  it('reads the header and counts the transactions without decoding them', () => {
    const peek = peekBlockHeader(bytes, bytes.length)
    expect(peek.header).toEqual(decodeBlock(bytes, bytes.length).header)
    expect(peek.txCount).toBe(3)
    // transaction fields whose content is garbage are skipped, not decoded
    const garbage = protobuf.Writer.create().uint32(0x0a).bytes(header).uint32(0x12).bytes(new Uint8Array(500).fill(0xff)).finish()
    expect(peekBlockHeader(garbage, garbage.length).txCount).toBe(1)
  })

  it('throws only DecodeErrors, for every malformed shape', () => {
    const w = (): protobuf.Writer => protobuf.Writer.create()
    const cases: Array<[Uint8Array, string]> = [
      [bytes, 'decode-oversized'],
      [new Uint8Array(0), 'decode-missing-header'],
      [w().uint32(0x12).bytes(new Uint8Array(3)).uint32(0x0a).bytes(header).finish(), 'decode-noncanonical'],
      [w().uint32(0x0a).bytes(header).uint32(0x0a).bytes(header).finish(), 'decode-noncanonical'],
      [w().uint32(0x0a).bytes(header).uint32(0x18).uint32(5).finish(), 'decode-noncanonical'],
      [bytes.subarray(0, bytes.length - 1), 'decode-malformed'],
      [bytes.subarray(0, 40), 'decode-malformed'],
      [w().uint32(0x0a).bytes(w().uint32(0x08).uint32(1).uint32(0x08).uint32(1).finish()).finish(), 'decode-noncanonical']
    ]
    for (const [input, code] of cases) {
      const limit = code === 'decode-oversized' ? input.length - 1 : input.length
      expect(codeOf(() => peekBlockHeader(input, limit)), `${code} for ${toHex(input.subarray(0, 8))}`).toBe(code)
    }
  })
})
