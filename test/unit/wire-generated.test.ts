// The wire codecs are generated from proto/minicoin.proto (npm run proto).
// These tests catch drift between the .proto and the committed files, and
// check the generated codecs against protobufjs' reflection codecs built from
// the same .proto at run time (what the node used before code generation).
import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import protobuf from 'protobufjs'
import { wire, Long, fromLong, toLong } from '../../src/core/wire/schema.js'
import { blockToWire, encodeBlock, txToWire } from '../../src/core/encoding.js'
import { coinbaseTx, rand, spendTx } from '../../bench/support/core-fixtures.js'
import type { Block } from '../../src/core/types.js'

const root = new URL('../../', import.meta.url)
const protoSource = readFileSync(new URL('proto/minicoin.proto', root), 'utf8')
const reflected = protobuf.parse(protoSource).root
const type = (name: string): protobuf.Type => reflected.lookupType(`minicoin.v1.${name}`)

describe('generated wire codecs', () => {
  it('match proto/minicoin.proto (committed files equal a fresh `npm run proto`)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'minicoin-proto-'))
    try {
      execFileSync(process.execPath, [new URL('scripts/gen-proto.mjs', root).pathname, dir], { stdio: 'pipe' })
      for (const file of ['minicoin.mjs', 'minicoin.d.mts']) {
        const fresh = readFileSync(join(dir, file), 'utf8')
        const committed = readFileSync(new URL(`src/core/wire/${file}`, root), 'utf8')
        expect(committed === fresh, `src/core/wire/${file} differs from the .proto: run npm run proto`).toBe(true)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)

  it('have one codec per message of the .proto', () => {
    const names = (reflected.lookup('minicoin.v1') as protobuf.Namespace).nestedArray.map(n => n.name).sort()
    expect(Object.keys(wire).sort()).toEqual(names)
  })

  it('encode byte for byte as the reflection codecs do, and decode the same', () => {
    const block: Block = {
      header: { version: 1, prevHash: rand(32), merkleRoot: rand(32), time: 1_700_000_000, bits: 0x207fffff, nonce: 0 },
      transactions: [coinbaseTx(7), spendTx(1, 1), spendTx(3, 2), { ...spendTx(0, 0), version: 0, lockTime: 0xffffffff }]
    }
    block.transactions[1].outputs[0].amount = (1n << 64n) - 1n
    block.transactions[2].outputs[1].amount = 0n
    const generated = encodeBlock(block)
    const reference = type('Block').encode(blockToWire(block)).finish()
    expect(Buffer.from(generated).equals(Buffer.from(reference))).toBe(true)
    const viaReflection = type('Block').toObject(type('Block').decode(generated), { longs: BigInt, defaults: true })
    const viaGenerated = type('Block').toObject(type('Block').fromObject(wire.Block.decode(generated)), { longs: BigInt, defaults: true })
    expect(viaGenerated).toEqual(viaReflection)
    for (const tx of block.transactions) {
      expect(Buffer.from(wire.Transaction.encode(txToWire(tx)).finish()).equals(Buffer.from(type('Transaction').encode(txToWire(tx)).finish()))).toBe(true)
    }
  })

  it('keep uint64 exact through Long, and refuse what does not fit', () => {
    for (const v of [0n, 1n, (1n << 53n) + 1n, (1n << 64n) - 1n]) expect(fromLong(toLong(v, 'amount'))).toBe(v)
    expect(() => toLong(1n << 64n, 'amount')).toThrow(RangeError)
    expect(() => toLong(-1n, 'amount')).toThrow(RangeError)
    // the generated codecs were loaded with the long library in place
    const out = wire.TxOutput.decode(wire.TxOutput.encode({ amount: toLong(1n << 63n, 'amount') }).finish())
    expect(out.amount).toBeInstanceOf(Long)
    expect(fromLong(out.amount)).toBe(1n << 63n)
  })
})
