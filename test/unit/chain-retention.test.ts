// What a chain keeps for good holds bytes of its own, not views into the
// messages blocks arrived in (a view keeps the whole message alive).
import { afterEach, beforeEach, expect, it } from 'vitest'
import { Chain } from '../../src/chain/chain.js'
import { blockHash } from '../../src/core/block.js'
import { decodeBlock, encodeBlock } from '../../src/core/encoding.js'
import { regtest } from '../../src/core/params.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { genesisTip, mineChain, newKey, tempDir } from '../../bench/support/chain-fixtures.js'

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

it('indexes a block that arrived on its own without a view of the message it came in', async () => {
  const blocks = mineChain(genesisTip(), 3, newKey()).blocks
  for (const b of blocks) {
    // as a gossip message: the block's bytes inside a larger received buffer
    const bytes = encodeBlock(b)
    const message = new Uint8Array(64 * 1024)
    message.set(bytes, 100)
    const received = decodeBlock(message.subarray(100, 100 + bytes.length), regtest.maxBlockSize)
    expect(received.header.prevHash.buffer.byteLength).toBe(64 * 1024) // the decoder's views
    expect((await chain.processBlock(received)).status).toBe('connected')
  }
  for (const b of blocks) {
    const entry = chain.getEntry(blockHash(b.header))
    expect(entry).toBeDefined()
    expect(entry!.header.prevHash.buffer.byteLength).toBe(32)
    expect(entry!.header.merkleRoot.buffer.byteLength).toBe(32)
  }
})
