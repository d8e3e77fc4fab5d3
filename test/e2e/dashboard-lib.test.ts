// The dashboard's plain-JS helpers, run in Node against the node's own
// implementations: bech32m address checks (src/wallet/address.ts), BigInt
// amount formatting and parsing, Merkle branches
// (src/core/merkle.ts), the block-tree layout and the chart's series.
import { describe, expect, it } from 'vitest'
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { bech32 } from '@scure/base'
import { devnet, regtest, testnet } from '../../src/core/params.js'
import { toHex } from '../../src/core/bytes.js'
import { merkleBranch, merkleRoot } from '../../src/core/merkle.js'
import { AddressError, decodeAddress, encodeAddress } from '../../src/wallet/address.js'
import { WEB_DIR } from './helpers/dashboard-fake.js'

// Plain ES modules without type declarations: imported by URL, typed loosely.
async function lib (file: string): Promise<any> {
  return await import(pathToFileURL(join(WEB_DIR, 'assets', 'js', file)).href)
}

const bech = await lib('lib/bech32m.js')
const amount = await lib('lib/amount.js')
const merkle = await lib('lib/merkle.js')
const format = await lib('lib/format.js')

function serverCode (address: string, params = devnet): string | null {
  try {
    decodeAddress(address, params)
    return null
  } catch (err) {
    if (err instanceof AddressError) return err.code
    throw err
  }
}

function browserCode (address: string, network = 'devnet'): string | null {
  try {
    bech.decodeAddress(address, network)
    return null
  } catch (err) {
    if (err instanceof bech.AddressError) return (err as { code: string }).code
    throw err
  }
}

describe('dashboard address checks agree with the node', () => {
  const valid = Array.from({ length: 20 }, () => encodeAddress(randomBytes(20), devnet))

  it('accepts valid addresses and decodes the same hash', () => {
    for (const a of valid) {
      expect(toHex(bech.decodeAddress(a, 'devnet'))).toBe(toHex(decodeAddress(a, devnet)))
      expect(bech.decodeAddress(`  ${a.toUpperCase()} `, 'devnet')).toHaveLength(20)
    }
  })

  it('refuses every single-character typo, as the node does', () => {
    const alphabet = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
    for (const a of valid.slice(0, 4)) {
      for (let i = 3; i < a.length; i++) {
        const ch = alphabet[(alphabet.indexOf(a[i]) + 1 + (i % 31)) % 32]
        const typo = a.slice(0, i) + ch + a.slice(i + 1)
        expect(browserCode(typo)).toBe(serverCode(typo))
        expect(browserCode(typo)).not.toBeNull()
      }
    }
  })

  it('gives the node\'s codes for the other ways an address is wrong', () => {
    const onTestnet = encodeAddress(randomBytes(20), testnet)
    const onRegtest = encodeAddress(randomBytes(20), regtest)
    const bech32Only = bech32.encode('mc', bech32.toWords(randomBytes(20)))
    const cases = [
      '', '   ', 'mc', 'qqqq', 'mc1' + 'b'.repeat(38), valid[0].slice(0, 10) + valid[0].slice(10).toUpperCase(),
      onTestnet, onRegtest, bech32Only, encodeAddress(randomBytes(20), devnet).replace(/^mc/, 'xx'),
      'mc1' + 'q'.repeat(100)
    ]
    for (const c of cases) expect(browserCode(c), c).toBe(serverCode(c))
    expect(browserCode(onTestnet)).toBe('wrong-network')
    expect(bech.addressProblem(onTestnet, 'devnet')).toMatch(/testnet/)
    expect(bech.addressProblem(valid[0], 'devnet')).toBeNull()
    expect(bech.addressProblem(onTestnet, 'testnet')).toBeNull()
  })
})

describe('dashboard amounts (BigInt only)', () => {
  it('formats base units with 8 decimals', () => {
    expect(amount.formatCoins('5000000000')).toBe('50.00000000')
    expect(amount.formatCoins('1')).toBe('0.00000001')
    expect(amount.formatCoins('0')).toBe('0.00000000')
    expect(amount.formatCoins('-250000000')).toBe('-2.50000000')
    expect(amount.formatCoins('2100000000000000')).toBe('21000000.00000000')
    // beyond a double's precision: still exact
    expect(amount.formatCoins('123456789012345678')).toBe('1234567890.12345678')
    expect(amount.formatDelta('100')).toBe('+0.00000100')
    expect(amount.formatDelta('-100')).toBe('-0.00000100')
  })

  it('parses what people type, exactly', () => {
    expect(amount.parseCoins('1')).toBe(100000000n)
    expect(amount.parseCoins('0.1')).toBe(10000000n)
    expect(amount.parseCoins('.5')).toBe(50000000n)
    expect(amount.parseCoins('12.34567891')).toBe(1234567891n)
    expect(amount.parseCoins(' 21000000 ')).toBe(2100000000000000n)
    expect(amount.parseCoins('0', { allowZero: true })).toBe(0n)
    for (const bad of ['', '0', '-1', '1e3', '1,5', '0.123456789', '21000000.00000001', 'abc', '.', '1.2.3', '99999999999']) {
      expect(() => amount.parseCoins(bad), bad).toThrow(amount.AmountError)
    }
  })
})

describe('dashboard Merkle checks', () => {
  it('hashes a pair with double SHA-256 like node:crypto', () => {
    const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest()
    for (let i = 0; i < 8; i++) {
      const left = randomBytes(32)
      const right = randomBytes(32)
      const expected = sha256(sha256(Buffer.concat([left, right]))).toString('hex')
      expect(merkle.hashPair(left.toString('hex'), right.toString('hex'))).toBe(expected)
      expect(merkle.hashPair(left.toString('hex').toUpperCase(), right.toString('hex'))).toBe(expected)
    }
  })

  it('recomputes the node\'s roots and branches', () => {
    for (const count of [1, 2, 3, 5, 8, 13]) {
      const leaves = Array.from({ length: count }, () => randomBytes(32))
      const root = toHex(merkleRoot(leaves))
      const levels = merkle.merkleLevels(leaves.map(toHex))
      expect(levels[levels.length - 1][0]).toBe(root)
      for (let i = 0; i < count; i++) {
        const branch = merkleBranch(leaves, i).map(toHex)
        const { root: got, steps } = merkle.branchPath(toHex(leaves[i]), branch, i)
        expect(got).toBe(root)
        expect(steps).toHaveLength(branch.length)
      }
      if (count > 1) {
        const wrong = merkle.branchPath(toHex(leaves[0]), merkleBranch(leaves, 0).map(toHex), 1)
        expect(wrong.root).not.toBe(root)
      }
    }
  })
})

describe('dashboard pictures', () => {
  it('computes difficulty from compact bits like the node', () => {
    // devnet genesis bits: 2^256 / (target + 1)
    expect(format.difficultyOfBits('1e03ffff')).toBe(4194320)
    expect(format.formatSi(2500000)).toBe('2.5 M')
    expect(format.formatSi(4194320)).toBe('4.19 M')
  })

  it('lays side branches out on lanes below the active chain', async () => {
    const { layoutTree } = await lib('views/tree.js')
    const h = (s: string): string => s.padEnd(64, '0')
    const nodes = [
      { hash: h('a0'), prevHash: h('00'), height: 0, active: true },
      { hash: h('a1'), prevHash: h('a0'), height: 1, active: true },
      { hash: h('a2'), prevHash: h('a1'), height: 2, active: true },
      { hash: h('b2'), prevHash: h('a1'), height: 2, active: false },
      { hash: h('b3'), prevHash: h('b2'), height: 3, active: false },
      { hash: h('c3'), prevHash: h('b2'), height: 3, active: false },
      { hash: h('d2'), prevHash: h('ff'), height: 2, active: false }
    ].map(n => ({ ...n, time: 0, invalid: false, hasData: true }))
    const { nodes: placed, edges } = layoutTree(nodes)
    const lane = (x: string): number => placed.find((n: { hash: string }) => n.hash === h(x)).lane
    expect([lane('a0'), lane('a1'), lane('a2')]).toEqual([0, 0, 0])
    expect(lane('b2')).toBeGreaterThan(0)
    expect(lane('b3')).toBe(lane('b2'))
    expect(new Set([lane('b2'), lane('c3'), lane('d2')]).size).toBe(3)
    expect(edges.filter((e: { orphan: boolean }) => e.orphan)).toHaveLength(1)
  })
})
