// Double SHA-256 of a Merkle node (two 32-byte hashes), in plain JS.
//
// node:crypto costs a native call and a Buffer per hash, which dominates for
// 64-byte inputs. Here the input is always 64 bytes, so the padding block
// (and its message schedule) is a constant, and the second hash's block is
// the first digest plus constant padding. Proof checking is nothing but
// these hashes, so SPV verification rate depends on this function.

import { IV, expand, rounds } from './sha256-rounds.mjs'

const work = new Int32Array(8)

/** One SHA-256 compression of the schedule `w` into `state` (in place, with feed-forward). */
function compress (state: Int32Array, w: Int32Array): void {
  work.set(state)
  rounds(work, w, 0, 64)
  for (let i = 0; i < 8; i++) state[i] = (state[i] + work[i]) | 0
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
  return merkleNodeHashInto(a, b, new Uint8Array(32))
}

/**
 * The same, written into `out`, which may be `a` or `b`: both are read in
 * full before anything is written.
 */
export function merkleNodeHashInto (a: Uint8Array, b: Uint8Array, out: Uint8Array): Uint8Array {
  return merkleNodeHashAt(a, 0, b, 0, out, 0)
}

/**
 * dsha256 of the 32 bytes of `a` at `aAt` and of `b` at `bAt`, written to
 * `out` at `outAt` (the same buffer may hold all three: the inputs are read
 * in full first). A whole tree level in one buffer, no array per node.
 */
export function merkleNodeHashAt (a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, out: Uint8Array, outAt: number): Uint8Array {
  state.set(IV)
  for (let i = 0; i < 8; i++) {
    w[i] = readBE32(a, aAt + i * 4)
    w[i + 8] = readBE32(b, bAt + i * 4)
  }
  expand(w, 16)
  compress(state, w)
  compress(state, PAD64)
  // second hash: of the 32-byte digest
  for (let i = 0; i < 8; i++) w[i] = state[i]
  return hash32WordsInto(out, outAt)
}

/** SHA-256 of the 32-byte message in w[0..7] (one block: the message, 0x80, zeros, bit length 256), into `out` at `at`. */
function hash32WordsInto (out: Uint8Array, at = 0): Uint8Array {
  w[8] = 0x80000000 | 0
  for (let i = 9; i < 15; i++) w[i] = 0
  w[15] = 256
  expand(w, 16)
  state.set(IV)
  compress(state, w)
  for (let i = 0; i < 8; i++) {
    const x = state[i]
    out[at + i * 4] = x >>> 24
    out[at + i * 4 + 1] = (x >>> 16) & 0xff
    out[at + i * 4 + 2] = (x >>> 8) & 0xff
    out[at + i * 4 + 3] = x & 0xff
  }
  return out
}

/**
 * SHA-256 of a 32-byte message (the second hash of a double SHA-256) given
 * as a latin1 string, node:crypto's cheapest output (hash.ts), into `out`:
 * one compression of a constant-padded block, ~0.6 µs less than a call into
 * node:crypto (BENCHMARKS.md, issue 12 session 4).
 */
export function sha256OfLatin1Into (d: string, out: Uint8Array): Uint8Array {
  if (d.length !== 32) throw new RangeError(`a 32-byte digest takes 32 latin1 chars, got ${d.length}`)
  for (let i = 0, j = 0; i < 8; i++, j += 4) {
    w[i] = (d.charCodeAt(j) << 24) | (d.charCodeAt(j + 1) << 16) | (d.charCodeAt(j + 2) << 8) | d.charCodeAt(j + 3)
  }
  return hash32WordsInto(out)
}
