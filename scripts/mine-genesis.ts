// One-off: finds the genesis nonces hard-coded in src/core/params.ts.
import { buildGenesis } from '../src/core/genesis.js'
import { serializeHeader } from '../src/core/encoding.js'
import { dsha256 } from '../src/core/hash.js'
import { bitsToTarget, hashMeetsTarget } from '../src/core/pow.js'
import { toHex } from '../src/core/bytes.js'

const [net, bitsHex] = process.argv.slice(2)
const bits = parseInt(bitsHex, 16)
const target = bitsToTarget(bits)!
const block = buildGenesis({ time: 1795219200, bits, nonce: 0, message: `minicoin ${net} genesis 2026-11-21`, hash: '' }, 50n * 100_000_000n)
const raw = serializeHeader(block.header)
const view = new DataView(raw.buffer)
for (let nonce = 0; nonce <= 0xffffffff; nonce++) {
  view.setUint32(76, nonce, true)
  const h = dsha256(raw)
  if (hashMeetsTarget(h, target)) { console.log(net, nonce, toHex(h), toHex(block.header.merkleRoot)); break }
}
