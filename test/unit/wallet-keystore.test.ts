import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, readdir, rm, stat, writeFile, chmod, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generatePrivateKey } from '../../src/crypto/keys.js'
import { generateMnemonic } from '../../src/wallet/mnemonic.js'
import { gcm } from '@noble/ciphers/aes.js'
import { fromHex, toHex } from '../../src/core/bytes.js'
import {
  DEFAULT_SCRYPT, KeystoreError, createKeystore, decryptKeystore, deriveKeystoreKey,
  parseKeystore, serializeKeystore, type EncryptedKeystoreFile, type WalletSecret
} from '../../src/wallet/keystore.js'
import { keystorePermissionWarning, loadKeystore, saveKeystore } from '../../src/wallet/keystore-file.js'

// Cheap scrypt for tests; the format stores whatever parameters were used.
const FAST = { N: 16, r: 8, p: 1 }
const PASSWORD = 'correct horse battery staple'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mc-keystore-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

function secret (): WalletSecret {
  return { hd: { mnemonic: generateMnemonic(), nextIndex: 3, nextChangeIndex: 2 }, imported: [generatePrivateKey(), generatePrivateKey()] }
}

async function codeOf (p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(KeystoreError)
    return (err as KeystoreError).code
  }
  throw new Error('expected a KeystoreError')
}

async function encryptedFile (s: WalletSecret): Promise<EncryptedKeystoreFile> {
  return (await createKeystore(s, { password: PASSWORD, scrypt: FAST })).file as EncryptedKeystoreFile
}

// Flips one hex digit of a string field.
function flip (hex: string, at = 0): string {
  return hex.slice(0, at) + (hex[at] === '0' ? '1' : '0') + hex.slice(at + 1)
}

describe('encrypted keystore', () => {
  it('round-trips through a file', async () => {
    const s = secret()
    const path = join(dir, 'wallet.json')
    await saveKeystore(path, await encryptedFile(s))
    const { secret: back, key } = await decryptKeystore(await loadKeystore(path), PASSWORD)
    expect(back).toEqual(s)
    expect(key).not.toBeNull()
  })

  it('stores a versioned header with its KDF parameters, and no secret in clear', async () => {
    const s = secret()
    const text = serializeKeystore(await encryptedFile(s))
    const json = JSON.parse(text)
    expect(json).toMatchObject({ format: 'minicoin-keystore', version: 1, encryption: 'scrypt-aes-256-gcm', kdf: { name: 'scrypt', N: 16, r: 8, p: 1 }, cipher: { name: 'aes-256-gcm' } })
    expect(json.kdf.salt).toMatch(/^[0-9a-f]{64}$/)
    expect(json.cipher.nonce).toMatch(/^[0-9a-f]{24}$/)
    for (const word of s.hd!.mnemonic.split(' ')) expect(text).not.toContain(` ${word} `)
    // Fresh salt and nonce each time.
    const again = JSON.parse(serializeKeystore(await encryptedFile(s)))
    expect(again.kdf.salt).not.toBe(json.kdf.salt)
    expect(again.ciphertext).not.toBe(json.ciphertext)
  })

  it('uses scrypt N=2^15, r=8, p=1 by default', async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 32768, r: 8, p: 1 })
    const s = secret()
    const { file } = await createKeystore(s, { password: PASSWORD })
    expect((file as EncryptedKeystoreFile).kdf.N).toBe(32768)
    expect((await decryptKeystore(file, PASSWORD)).secret).toEqual(s)
  })

  it('tells a wrong password', async () => {
    const file = await encryptedFile(secret())
    await expect(decryptKeystore(file, 'Correct horse battery staple')).rejects.toThrow('wrong password')
    expect(await codeOf(decryptKeystore(file, 'nope'))).toBe('wrong-password')
    expect(await codeOf(decryptKeystore(file))).toBe('password-required')
  })

  it('normalizes the password (NFC)', async () => {
    const s = secret()
    const { file } = await createKeystore(s, { password: 'caf\u00e9', scrypt: FAST })
    expect((await decryptKeystore(file, 'cafe\u0301')).secret).toEqual(s)
  })

  it('detects a tampered ciphertext or nonce although the password is right', async () => {
    const file = await encryptedFile(secret())
    for (const at of [0, 40, file.ciphertext.length - 1]) {
      expect(await codeOf(decryptKeystore({ ...file, ciphertext: flip(file.ciphertext, at) }, PASSWORD))).toBe('tampered')
    }
    expect(await codeOf(decryptKeystore({ ...file, ciphertext: file.ciphertext.slice(0, -2) }, PASSWORD))).toBe('tampered')
    expect(await codeOf(decryptKeystore({ ...file, cipher: { ...file.cipher, nonce: flip(file.cipher.nonce) } }, PASSWORD))).toBe('tampered')
  })

  it('keeps the AES-256-GCM layout of @noble/ciphers, which wrote the first keystores: each opens the other\'s', async () => {
    const s = secret()
    const file = await encryptedFile(s)
    const { encryptionKey } = await deriveKeystoreKey(PASSWORD, file.kdf)
    const { kdf } = file
    const aad = new TextEncoder().encode(JSON.stringify([file.format, file.version, file.encryption, kdf.name, kdf.N, kdf.r, kdf.p, kdf.salt]))
    const opened = JSON.parse(new TextDecoder().decode(gcm(encryptionKey, fromHex(file.cipher.nonce), aad).decrypt(fromHex(file.ciphertext))))
    expect(opened.hd.mnemonic).toBe(s.hd!.mnemonic)
    // and a ciphertext written by @noble/ciphers (another secret, same header) opens here
    const other = secret()
    const json = { hd: other.hd, imported: other.imported.map(toHex) }
    const sealed = gcm(encryptionKey, fromHex(file.cipher.nonce), aad).encrypt(new TextEncoder().encode(JSON.stringify(json)))
    expect((await decryptKeystore({ ...file, ciphertext: toHex(sealed) }, PASSWORD)).secret).toEqual(other)
    // shorter than the 16-byte tag
    expect(await codeOf(decryptKeystore({ ...file, ciphertext: file.ciphertext.slice(0, 30) }, PASSWORD))).toBe('tampered')
    expect(await codeOf(decryptKeystore({ ...file, ciphertext: '' }, PASSWORD))).toBe('tampered')
  })

  it('altered KDF parameters or check read as a wrong password, never as success', async () => {
    const file = await encryptedFile(secret())
    expect(await codeOf(decryptKeystore({ ...file, kdf: { ...file.kdf, N: 32 } }, PASSWORD))).toBe('wrong-password')
    expect(await codeOf(decryptKeystore({ ...file, kdf: { ...file.kdf, salt: flip(file.kdf.salt) } }, PASSWORD))).toBe('wrong-password')
    expect(await codeOf(decryptKeystore({ ...file, passwordCheck: flip(file.passwordCheck) }, PASSWORD))).toBe('wrong-password')
  })

  it('refuses an empty password and absurd scrypt parameters', async () => {
    expect(await codeOf(createKeystore(secret(), { password: '', scrypt: FAST }))).toBe('empty-password')
    expect(await codeOf(createKeystore(secret(), { password: PASSWORD, scrypt: { N: 1000, r: 8, p: 1 } }))).toBe('bad-kdf-params')
    expect(await codeOf(createKeystore(secret(), { password: PASSWORD, scrypt: { N: 2 ** 20, r: 8, p: 1 } }))).toBe('bad-kdf-params')
  })
})

describe('unencrypted keystore (daemon mode)', () => {
  it('round-trips without a password and says so in the file', async () => {
    const s = secret()
    const path = join(dir, 'wallet.json')
    const { file, key } = await createKeystore(s, { unencrypted: true })
    expect(key).toBeNull()
    await saveKeystore(path, file)
    const text = await readFile(path, 'utf8')
    expect(JSON.parse(text).encryption).toBe('none')
    expect(text).toContain(s.hd!.mnemonic)
    expect((await decryptKeystore(await loadKeystore(path))).secret).toEqual(s)
  })

  it('rejects an invalid stored secret at load', async () => {
    const { file } = await createKeystore(secret(), { unencrypted: true })
    const json = JSON.parse(serializeKeystore(file))
    json.secret.hd.mnemonic = 'abandon abandon abandon'
    expect(() => parseKeystore(JSON.stringify(json))).toThrow(KeystoreError)
    json.secret.hd = null
    json.secret.imported = ['00'.repeat(32)]
    expect(() => parseKeystore(JSON.stringify(json))).toThrow('not a valid secp256k1 private key')
  })
})

describe('keystore files', () => {
  it('writes mode 0600 and leaves no temporary file', async () => {
    const path = join(dir, 'wallet.json')
    await saveKeystore(path, await encryptedFile(secret()))
    await saveKeystore(path, await encryptedFile(secret()))
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readdir(dir)).toEqual(['wallet.json'])
    expect(await keystorePermissionWarning(path)).toBeNull()
    await chmod(path, 0o644)
    expect(await keystorePermissionWarning(path)).toContain('chmod 600')
  })

  it('creates missing parent directories', async () => {
    const path = join(dir, 'a', 'b', 'wallet.json')
    await saveKeystore(path, await encryptedFile(secret()))
    expect((await loadKeystore(path)).encryption).toBe('scrypt-aes-256-gcm')
  })

  it('refuses to overwrite when asked not to, keeping the old file', async () => {
    const path = join(dir, 'wallet.json')
    const first = await encryptedFile(secret())
    await saveKeystore(path, first, { overwrite: false })
    expect(await codeOf(saveKeystore(path, await encryptedFile(secret()), { overwrite: false }))).toBe('exists')
    expect(await readFile(path, 'utf8')).toBe(serializeKeystore(first))
    expect(await readdir(dir)).toEqual(['wallet.json'])
  })

  it('a failed write leaves neither a partial file nor a temporary one', async () => {
    const path = join(dir, 'wallet.json')
    await mkdir(path) // rename over a directory fails
    await writeFile(join(path, 'x'), 'x')
    expect(await codeOf(saveKeystore(path, await encryptedFile(secret())))).toBe('io')
    expect(await readdir(dir)).toEqual(['wallet.json'])
    expect(await codeOf(loadKeystore(path))).toBe('io')
  })

  it('reports a missing file', async () => {
    expect(await codeOf(loadKeystore(join(dir, 'none.json')))).toBe('not-found')
  })

  it('reports corrupt files specifically, without crashing', async () => {
    const path = join(dir, 'wallet.json')
    const good = serializeKeystore(await encryptedFile(secret()))
    const cases: Array<[string | Buffer, string]> = [
      ['', 'corrupt'],
      ['{', 'corrupt'],
      [good.slice(0, good.length / 2), 'corrupt'],
      ['[]', 'corrupt'],
      ['{"format":"something-else"}', 'corrupt'],
      [good.replace('"version": 1', '"version": 2'), 'unsupported-version'],
      [good.replace('scrypt-aes-256-gcm', 'rot13'), 'corrupt'],
      [good.replace(/"salt": "[0-9a-f]+"/, '"salt": "abc"'), 'corrupt'],
      [good.replace(/"nonce": "[0-9a-f]+"/, '"nonce": "zz"'), 'corrupt'],
      [good.replace('"N": 16', '"N": 1073741824'), 'corrupt'],
      [good.replace('"N": 16', '"N": 17'), 'corrupt'],
      [good.replace(/"ciphertext": "[0-9a-f]+"/, '"ciphertext": "00"'), 'corrupt'],
      [Buffer.from([0xff, 0xfe, 0x00, 0x7b]), 'corrupt']
    ]
    for (const [content, code] of cases) {
      await writeFile(path, content)
      expect(await codeOf(loadKeystore(path)), String(content).slice(0, 40)).toBe(code)
    }
  })
})
