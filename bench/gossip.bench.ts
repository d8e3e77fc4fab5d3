// Gossip block validation: a 2 MB block whose header fails (wrong bits) is
// judged from its header alone. Reference, printed in the same run: decoding
// the body of a 2 MB block of minimal transactions, the work this avoids.
import { type Bench, rate, round } from './harness.js'
import protobuf from 'protobufjs'
import { Chain } from '../src/chain/chain.js'
import { NobleVerifier } from '../src/crypto/verifier.js'
import { regtest } from '../src/core/params.js'
import { blockHash } from '../src/core/block.js'
import { decodeBlock, encodeBlock, encodeHeaderMessage, headerFieldBytes } from '../src/core/encoding.js'
import { txSize } from '../src/core/tx.js'
import { blockValidator } from '../src/p2p/validation/block.js'
import { judge } from '../src/p2p/validation/result.js'
import { limitsFor } from '../src/p2p/protocols.js'
import { genesisTip, mineChain, newKey, tempDir } from './support/chain-fixtures.js'
import { coinbaseTx, makeBlock, rand, solve, spendTx } from './support/core-fixtures.js'

export const benches: Bench[] = [{
  name: 'gossip-bad-header-2mb',
  group: 'chain',
  run: async () => {
    const limits = limitsFor(regtest)
    const dir = tempDir()
    const chain = await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier() })
    try {
      const { blocks } = mineChain(genesisTip(), 2, newKey())
      for (const b of blocks) await chain.processBlock(b)
      const validate = blockValidator(chain, limits.blockMessageBytes, { onOrphan: () => {} })
      // the wrong-bits block's transactions are ~2 MB of valid minimal spends
      const size = txSize(spendTx(1, 1))
      const txs = [coinbaseTx(3), ...Array.from({ length: Math.floor((regtest.maxBlockSize - 2000) / (size + 3)) }, () => spendTx(1, 1))]
      const valid = makeBlock(regtest, txs)
      const full = encodeBlock(valid)
      const body = full.subarray(headerFieldBytes(valid.header))
      const header = solve({ header: { version: 1, prevHash: blockHash(blocks[1].header), merkleRoot: rand(32), time: blocks[1].header.time + 1, bits: 0x2000ffff, nonce: 0 }, transactions: [] }).header
      const bytes = new Uint8Array([...protobuf.Writer.create().uint32(0x0a).bytes(encodeHeaderMessage(header)).finish(), ...body])
      const outcome = await judge(validate, bytes, 'bench')
      if (outcome.code !== 'header-bad-diffbits') throw new Error(`unexpected verdict ${outcome.verdict} ${outcome.code}`)
      const judged = await rate(async () => await judge(validate, bytes, 'bench'), 1)
      const decoded = await rate(() => decodeBlock(full, full.length), 1)
      return [{
        bench: 'gossip_bad_header_2mb_rejects_per_second',
        value: round(judged),
        unit: 'blocks/s',
        bytes: bytes.length,
        reference: `decoding the body of the same 2 MB block (${txs.length} txs): ${round(decoded, 1)} blocks/s`
      }]
    } finally {
      await chain.close()
      dir.remove()
    }
  }
}]
