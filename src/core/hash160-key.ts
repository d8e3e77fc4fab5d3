// RIPEMD-160(SHA-256(key)) of a 33-byte compressed public key, in plain JS.
//
// Every input of every transaction (acceptance and block connection alike)
// hashes its key once to compare it with the spent output's address. Through
// node:crypto that is two native calls and two Buffers (~2.5 µs); here both
// hashes are one block each with constant padding, computed over
// preallocated state. test/unit/hash160-key.test.ts compares it with
// node:crypto on random keys. RIPEMD-160's tables follow @noble/hashes.
import { IV, expand, rounds } from './sha256-rounds.mjs'

export const KEY_BYTES = 33

const w = new Int32Array(64)
const st = new Int32Array(8)
const x = new Int32Array(16) // RIPEMD-160 message words (little-endian)

// ---- RIPEMD-160 tables ------------------------------------------------------
const RHO = [7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8]
const ID = Array.from({ length: 16 }, (_, i) => i)
const PI = ID.map(i => (9 * i + 5) % 16)
const IDX_L: number[][] = [ID]
const IDX_R: number[][] = [PI]
for (let i = 0; i < 4; i++) {
  IDX_L.push(IDX_L[i].map(k => RHO[k]))
  IDX_R.push(IDX_R[i].map(k => RHO[k]))
}
const SHIFTS = [
  [11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8],
  [12, 13, 11, 15, 6, 9, 9, 7, 12, 15, 11, 13, 7, 8, 7, 7],
  [13, 15, 14, 11, 7, 7, 6, 8, 13, 14, 13, 12, 5, 5, 6, 9],
  [14, 11, 12, 14, 8, 6, 5, 5, 15, 12, 15, 14, 9, 9, 8, 6],
  [15, 12, 13, 13, 9, 5, 8, 6, 14, 11, 12, 11, 8, 6, 5, 5]
]
// flattened 80-entry tables: word index and shift per step, per lane
const RL = Int32Array.from(IDX_L.flat())
const RR = Int32Array.from(IDX_R.flat())
const SL = Int32Array.from(IDX_L.flatMap((idx, g) => idx.map(j => SHIFTS[g][j])))
const SR = Int32Array.from(IDX_R.flatMap((idx, g) => idx.map(j => SHIFTS[g][j])))
const KL = [0x00000000, 0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xa953fd4e]
const KR = [0x50a28be6, 0x5c4dd124, 0x6d703ef3, 0x7a6d76e9, 0x00000000]

function f (group: number, a: number, b: number, c: number): number {
  if (group === 0) return a ^ b ^ c
  if (group === 1) return (a & b) | (~a & c)
  if (group === 2) return (a | ~b) ^ c
  if (group === 3) return (a & c) | (b & ~c)
  return a ^ (b | ~c)
}

function rotl (v: number, n: number): number {
  return (v << n) | (v >>> (32 - n))
}

/** hash160 of a 33-byte key, as 20 bytes. */
export function hash160Key (key: Uint8Array): Uint8Array {
  return hash160KeyInto(key, new Uint8Array(20))
}

/** The same, written into `out` (20 bytes): a caller comparing it at once allocates nothing. */
export function hash160KeyInto (key: Uint8Array, out: Uint8Array): Uint8Array {
  if (key.length !== KEY_BYTES) throw new RangeError(`hash160Key takes ${KEY_BYTES} bytes, got ${key.length}`)
  // SHA-256: one block of 33 bytes, 0x80, zeros, bit length 264
  for (let i = 0; i < 8; i++) w[i] = (key[4 * i] << 24) | (key[4 * i + 1] << 16) | (key[4 * i + 2] << 8) | key[4 * i + 3]
  w[8] = (key[32] << 24) | 0x800000
  for (let i = 9; i < 15; i++) w[i] = 0
  w[15] = KEY_BYTES * 8
  expand(w, 16)
  st.set(IV)
  rounds(st, w, 0, 64)
  // RIPEMD-160: one block of the 32-byte digest (as little-endian words), 0x80, zeros, bit length 256
  for (let i = 0; i < 8; i++) {
    const v = (st[i] + IV[i]) | 0 // big-endian word of the digest
    x[i] = ((v & 0xff) << 24) | ((v >>> 8 & 0xff) << 16) | ((v >>> 16 & 0xff) << 8) | (v >>> 24)
  }
  x[8] = 0x80
  for (let i = 9; i < 14; i++) x[i] = 0
  x[14] = 256
  x[15] = 0
  const h0 = 0x67452301 | 0
  const h1 = 0xefcdab89 | 0
  const h2 = 0x98badcfe | 0
  const h3 = 0x10325476 | 0
  const h4 = 0xc3d2e1f0 | 0
  let al = h0; let bl = h1; let cl = h2; let dl = h3; let el = h4
  let ar = h0; let br = h1; let cr = h2; let dr = h3; let er = h4
  for (let g = 0; g < 5; g++) {
    const kl = KL[g]
    const kr = KR[g]
    for (let i = g * 16; i < g * 16 + 16; i++) {
      const tl = (rotl((al + f(g, bl, cl, dl) + x[RL[i]] + kl) | 0, SL[i]) + el) | 0
      al = el; el = dl; dl = rotl(cl, 10); cl = bl; bl = tl
      const tr = (rotl((ar + f(4 - g, br, cr, dr) + x[RR[i]] + kr) | 0, SR[i]) + er) | 0
      ar = er; er = dr; dr = rotl(cr, 10); cr = br; br = tr
    }
  }
  // word by word, without an array of the five (a block hashes 6,000 keys: its garbage counts)
  put32le(out, 0, (h1 + cl + dr) | 0)
  put32le(out, 4, (h2 + dl + er) | 0)
  put32le(out, 8, (h3 + el + ar) | 0)
  put32le(out, 12, (h4 + al + br) | 0)
  put32le(out, 16, (h0 + bl + cr) | 0)
  return out
}

function put32le (out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff
  out[at + 1] = (v >>> 8) & 0xff
  out[at + 2] = (v >>> 16) & 0xff
  out[at + 3] = v >>> 24
}
