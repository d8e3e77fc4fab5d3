// AES-256-GCM for the keystore (keystore.ts), through node:crypto.
import { createCipheriv, createDecipheriv } from 'node:crypto'

const TAG_BYTES = 16

// AES-256-GCM laid out as @noble/ciphers' gcm() writes it (the format's
// first writer): the ciphertext, then the 16-byte tag. node:crypto's
// OpenSSL, where @noble/ciphers built its AES tables at every node start.
export function gcmSeal (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(aad)
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
}

/** Throws unless `sealed` authenticates; nothing of an unauthenticated plaintext is returned. */
export function gcmOpen (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < TAG_BYTES) throw new Error('the ciphertext is shorter than its tag')
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
  decipher.setAAD(aad)
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
  const head = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES))
  try {
    return Buffer.concat([head, decipher.final()])
  } finally {
    head.fill(0)
  }
}
