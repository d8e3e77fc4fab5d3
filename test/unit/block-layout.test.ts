// Locating transactions inside stored block bytes without decoding them
// (src/chain/block-layout.ts), the explorer's way to decode only a page.
import { describe, expect, it } from 'vitest'
import { blockLayout, txBytesAt } from '../../src/chain/block-layout.js'
import { encodeBlock, encodeTx } from '../../src/core/encoding.js'
import { DecodeError } from '../../src/core/errors.js'
import { regtest } from '../../src/core/params.js'
import { blockSize } from '../../src/core/validate.js'
import { genesisTip, mineBlock, mineChain, newKey, spend } from '../../bench/support/chain-fixtures.js'

describe('blockLayout', () => {
  const key = newKey()
  const { tip, coinbases } = mineChain(genesisTip(), 3, key)
  // transactions with 1..3 inputs, so input offsets differ from tx indexes
  const txs = [
    spend([coinbases[0]], [{ address: key.address, amount: 1000n }]),
    spend([coinbases[1], coinbases[2]], [{ address: key.address, amount: 2000n }, { address: key.address, amount: 3000n }])
  ]
  const block = mineBlock(tip, txs, key)
  const bytes = encodeBlock(block)

  it('finds every transaction\'s exact bytes, the size and each one\'s first undo position', () => {
    const layout = blockLayout(bytes)
    expect(layout.txCount).toBe(3)
    block.transactions.forEach((tx, i) => expect(txBytesAt(bytes, layout, i)).toEqual(encodeTx(tx)))
    expect([...layout.inputsBefore]).toEqual([0, 0, 1, 3])
    expect(bytes.length).toBe(blockSize(block))
    expect(layout.txEnd[layout.txCount - 1]).toBe(bytes.length)
    expect(blockLayout(encodeBlock(regtest.genesis)).txCount).toBe(1)
  })

  it('throws DecodeError on truncated or garbled bytes, never loops or reads past the end', () => {
    for (const cut of [1, 2, 10, 81, bytes.length - 1]) expect(() => blockLayout(bytes.subarray(0, cut)), String(cut)).toThrow(DecodeError)
    expect(() => blockLayout(new Uint8Array([0x0d, 0, 0, 0, 0]))).toThrow(DecodeError) // wire type 5
    expect(() => blockLayout(new Uint8Array(12).fill(0xff))).toThrow(DecodeError)
  })
})
