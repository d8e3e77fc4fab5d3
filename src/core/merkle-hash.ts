// Double SHA-256 of a Merkle node (two 32-byte hashes), in plain JS.
//
// node:crypto costs a native call and a Buffer per hash, which dominates for
// 64-byte inputs. Here the input is always 64 bytes, so the padding block
// (and its message schedule) is a constant, and the second hash's block is
// the first digest plus constant padding. Proof checking is nothing but
// these hashes, so SPV verification rate depends on this function.

const K = Int32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
)
const IV = Int32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)

function expand (w: Int32Array, from: number): void {
  for (let t = from; t < 64; t++) {
    const x = w[t - 15]
    const y = w[t - 2]
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
    w[t] = (s1 + w[t - 7] + s0 + w[t - 16]) | 0
  }
}

/** One SHA-256 compression of the schedule `w` into `state` (in place). */
function compress (state: Int32Array, w: Int32Array): void {
  let a = state[0]; let b = state[1]; let c = state[2]; let d = state[3]
  let e = state[4]; let f = state[5]; let g = state[6]; let h = state[7]
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const ch = (e & f) ^ (~e & g)
    const t1 = (h + s1 + ch + K[t] + w[t]) | 0
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const maj = (a & b) ^ (a & c) ^ (b & c)
    const t2 = (s0 + maj) | 0
    h = g; g = f; f = e; e = (d + t1) | 0
    d = c; c = b; b = a; a = (t1 + t2) | 0
  }
  state[0] = (state[0] + a) | 0; state[1] = (state[1] + b) | 0
  state[2] = (state[2] + c) | 0; state[3] = (state[3] + d) | 0
  state[4] = (state[4] + e) | 0; state[5] = (state[5] + f) | 0
  state[6] = (state[6] + g) | 0; state[7] = (state[7] + h) | 0
}

// The padding block of a 64-byte message: 0x80, zeros, bit length 512.
const PAD64 = new Int32Array(64)
PAD64[0] = 0x80000000 | 0
PAD64[15] = 512
expand(PAD64, 16)

const state = new Int32Array(8)
const w = new Int32Array(64)

function readBE32 (bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]
}

/** dsha256(a || b) for two 32-byte hashes. */
export function merkleNodeHash (a: Uint8Array, b: Uint8Array): Uint8Array {
  state.set(IV)
  for (let i = 0; i < 8; i++) {
    w[i] = readBE32(a, i * 4)
    w[i + 8] = readBE32(b, i * 4)
  }
  expand(w, 16)
  compress(state, w)
  compress(state, PAD64)
  // second hash: the 32-byte digest, 0x80, zeros, bit length 256
  for (let i = 0; i < 8; i++) w[i] = state[i]
  w[8] = 0x80000000 | 0
  for (let i = 9; i < 15; i++) w[i] = 0
  w[15] = 256
  expand(w, 16)
  state.set(IV)
  compress(state, w)
  const out = new Uint8Array(32)
  for (let i = 0; i < 8; i++) {
    const x = state[i]
    out[i * 4] = x >>> 24
    out[i * 4 + 1] = (x >>> 16) & 0xff
    out[i * 4 + 2] = (x >>> 8) & 0xff
    out[i * 4 + 3] = x & 0xff
  }
  return out
}
