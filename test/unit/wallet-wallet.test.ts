import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { devnet, regtest } from '../../src/core/params.js'
import { hash160 } from '../../src/core/hash.js'
import { generatePrivateKey, publicKeyOf } from '../../src/crypto/keys.js'
import { decodeAddress } from '../../src/wallet/address.js'
import { MnemonicError } from '../../src/wallet/mnemonic.js'
import { KeystoreError, createKeystore } from '../../src/wallet/keystore.js'
import { saveKeystore } from '../../src/wallet/keystore-file.js'
import { Wallet, WalletError } from '../../src/wallet/wallet.js'

const FAST = { N: 16, r: 8, p: 1 }
const PASSWORD = 'hunter22'
const encrypted = { password: PASSWORD, scrypt: FAST }
const ZERO_PHRASE = Array(23).fill('abandon').join(' ') + ' art'

let dir: string
let path: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-wallet-'))
  path = join(dir, 'wallet.json')
})
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

async function rejection (p: Promise<unknown>): Promise<Error & { code: string }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code: string }
  }
  throw new Error('expected a rejection')
}

describe('Wallet', () => {
  it('is created with a 24-word phrase and one address on its network', async () => {
    const wallet = await Wallet.create(path, { params: regtest, protection: encrypted })
    expect(wallet.exportMnemonic().split(' ')).toHaveLength(24)
    expect(wallet.encrypted).toBe(true)
    const [first] = wallet.addresses()
    expect(wallet.addresses()).toHaveLength(1)
    expect(first).toMatchObject({ source: 'hd', index: 0 })
    expect(first.address.startsWith('mcrt1')).toBe(true)
    expect(decodeAddress(first.address, regtest)).toEqual(first.hash)
    expect(wallet.addressStrings()).toEqual([first.address])
    expect(wallet.addressHashes()).toEqual([first.hash])
    expect(wallet.primaryAddress()).toEqual(first)
  })

  it('never overwrites an existing wallet file', async () => {
    await Wallet.create(path, { params: devnet, protection: encrypted })
    const before = await readFile(path, 'utf8')
    const err = await rejection(Wallet.create(path, { params: devnet, protection: encrypted }))
    expect(err).toBeInstanceOf(KeystoreError)
    expect(err.code).toBe('exists')
    expect(await readFile(path, 'utf8')).toBe(before)
  })

  it('persists new addresses: reopening gives the same list', async () => {
    const wallet = await Wallet.create(path, { params: devnet, protection: encrypted })
    const a1 = await wallet.newAddress()
    const a2 = await wallet.newAddress()
    expect([a1.index, a2.index]).toEqual([1, 2])
    const reopened = await Wallet.open(path, { params: devnet, password: PASSWORD })
    expect(reopened.addressStrings()).toEqual(wallet.addressStrings())
    expect(reopened.addressStrings()).toHaveLength(3)
  })

  it('hands out distinct indices to concurrent callers', async () => {
    const wallet = await Wallet.create(path, { params: devnet, protection: { unencrypted: true } })
    const made = await Promise.all(Array.from({ length: 5 }, async () => await wallet.newAddress()))
    expect(new Set(made.map(a => a.index))).toEqual(new Set([1, 2, 3, 4, 5]))
    const reopened = await Wallet.open(path, { params: devnet })
    expect(reopened.addresses()).toHaveLength(6)
  })

  it('restore from the backed-up phrase reproduces the same addresses and keys', async () => {
    const original = await Wallet.create(path, { params: devnet, protection: encrypted })
    await original.newAddress()
    await original.newAddress()
    const phrase = original.exportMnemonic()
    const restored = await Wallet.restore(join(dir, 'restored.json'), phrase, { params: devnet, protection: { unencrypted: true }, addresses: 3 })
    expect(restored.addressStrings()).toEqual(original.addressStrings())
    for (const hash of original.addressHashes()) expect(restored.privateKeyFor(hash)).toEqual(original.privateKeyFor(hash))
  })

  it('restores a known phrase to known addresses', async () => {
    const wallet = await Wallet.restore(path, ZERO_PHRASE, { params: devnet, protection: encrypted, addresses: 2 })
    expect(wallet.addressStrings()).toEqual(['mc1ay928me2ugunmh74l95zv7j490u069pkzmm3a3', 'mc1kqdf228qvws70fq5v86n06pkggph587aqtgsun'])
  })

  it('restore rejects an invalid phrase before writing anything', async () => {
    const err = await rejection(Wallet.restore(path, ZERO_PHRASE.replace(/art$/, 'zoo'), { params: devnet, protection: encrypted }))
    expect(err).toBeInstanceOf(MnemonicError)
    expect(err.code).toBe('bad-checksum')
    expect((await rejection(Wallet.open(path, { params: devnet }))).code).toBe('not-found')
  })

  it('looks up the private key of each address', async () => {
    const wallet = await Wallet.create(path, { params: devnet, protection: encrypted })
    await wallet.newAddress()
    for (const { hash } of wallet.addresses()) {
      const key = wallet.privateKeyFor(hash)!
      expect(hash160(publicKeyOf(key))).toEqual(hash)
      expect(wallet.keyLookup(hash)).toEqual(key)
      expect(wallet.hasAddress(hash)).toBe(true)
    }
    expect(wallet.privateKeyFor(new Uint8Array(20))).toBeUndefined()
    expect(wallet.hasAddress(new Uint8Array(20))).toBe(false)
  })

  it('hands out copies: changing a returned hash changes nothing', async () => {
    const wallet = await Wallet.create(path, { params: devnet, protection: encrypted })
    const { hash } = wallet.primaryAddress()
    const original = hash.slice()
    hash.fill(0)
    expect(wallet.primaryAddress().hash).toEqual(original)
    expect(wallet.privateKeyFor(original)).toBeDefined()
  })

  it('imports raw keys, persisted beside the HD ones', async () => {
    const wallet = await Wallet.create(path, { params: devnet, protection: encrypted })
    const key = generatePrivateKey()
    const imported = await wallet.importPrivateKey(key)
    expect(imported.source).toBe('imported')
    expect(imported.hash).toEqual(hash160(publicKeyOf(key)))
    expect(await wallet.importPrivateKey(key)).toEqual(imported)
    const reopened = await Wallet.open(path, { params: devnet, password: PASSWORD })
    expect(reopened.addresses().map(a => a.source)).toEqual(['hd', 'imported'])
    expect(reopened.privateKeyFor(imported.hash)).toEqual(key)
    const err = await rejection(wallet.importPrivateKey(new Uint8Array(32)))
    expect(err).toBeInstanceOf(WalletError)
    expect(err.code).toBe('bad-private-key')
  })

  it('a wallet of imported keys only has no phrase to export or derive from', async () => {
    const key = generatePrivateKey()
    const { file } = await createKeystore({ hd: null, imported: [key] }, { unencrypted: true })
    await saveKeystore(path, file)
    const wallet = await Wallet.open(path, { params: devnet })
    expect(wallet.hasMnemonic).toBe(false)
    expect(wallet.primaryAddress().hash).toEqual(hash160(publicKeyOf(key)))
    expect(() => wallet.exportMnemonic()).toThrow(WalletError)
    expect((await rejection(wallet.newAddress())).code).toBe('no-mnemonic')
  })

  it('watches exactly its addresses and window: not another hash that shares their first bytes', async () => {
    const wallet = await Wallet.create(path, { params: regtest, protection: { unencrypted: true } })
    await wallet.newAddress()
    await wallet.importPrivateKey(generatePrivateKey())
    const watched = wallet.watchedHashes()
    const hexes = new Set(watched.map(h => Buffer.from(h).toString('hex')))
    expect(watched.length).toBeGreaterThan(20) // handed out plus the gap-limit windows
    for (const h of watched) expect(wallet.isWatched(h)).toBe(true)
    // same first four (or nineteen) bytes, another hash: the prefix test passes them, the exact one must not
    for (const h of watched) {
      for (const at of [4, 19]) {
        const other = h.slice()
        other[at] ^= 0x01
        expect(hexes.has(Buffer.from(other).toString('hex'))).toBe(false)
        expect(wallet.isWatched(other)).toBe(false)
      }
    }
    for (let i = 0; i < 200; i++) expect(wallet.isWatched(hash160(Uint8Array.of(i, 7)))).toBe(false)
    expect(wallet.isWatched(new Uint8Array(0))).toBe(false)
    // an address handed out after that is watched at once
    const next = await wallet.newAddress()
    expect(wallet.isWatched(decodeAddress(next.address, regtest))).toBe(true)
  })

  it('needs the right password to open an encrypted wallet', async () => {
    await Wallet.create(path, { params: devnet, protection: encrypted })
    expect((await rejection(Wallet.open(path, { params: devnet, password: 'wrong' }))).code).toBe('wrong-password')
    expect((await rejection(Wallet.open(path, { params: devnet }))).code).toBe('password-required')
  })

  it('changes its password, and can drop encryption for a daemon', async () => {
    const wallet = await Wallet.create(path, { params: devnet, protection: encrypted })
    await wallet.setProtection({ password: 'new password', scrypt: FAST })
    await wallet.newAddress() // saved under the new key
    expect((await rejection(Wallet.open(path, { params: devnet, password: PASSWORD }))).code).toBe('wrong-password')
    const reopened = await Wallet.open(path, { params: devnet, password: 'new password' })
    expect(reopened.addressStrings()).toEqual(wallet.addressStrings())
    await reopened.setProtection({ unencrypted: true })
    expect(reopened.encrypted).toBe(false)
    expect((await Wallet.open(path, { params: devnet })).addressStrings()).toEqual(wallet.addressStrings())
  })

  it('openOrCreate creates once, then opens the same wallet', async () => {
    const first = await Wallet.openOrCreate(path, { params: devnet, protection: { unencrypted: true } })
    expect(first.created).toBe(true)
    const second = await Wallet.openOrCreate(path, { params: devnet, protection: { unencrypted: true } })
    expect(second.created).toBe(false)
    expect(second.wallet.addressStrings()).toEqual(first.wallet.addressStrings())
    expect(await second.wallet.permissionWarning()).toBeNull()
  })
})
