// Double SHA-256 of 80-byte block headers, specialised for the nonce search.
//
// Plain JavaScript (not TypeScript) so worker threads can load it without a
// TypeScript loader. node:crypto costs a native call and a Buffer per hash,
// which caps it near 0.3 MH/s; this loop reuses preallocated Int32Arrays and
// does only the work that depends on the nonce:
//   - the first 64 header bytes are compressed once per call (the midstate);
//   - the second block's first three rounds and schedule words 16..17 do not
//     involve the nonce (word 3), so they are computed once too;
//   - the hash is read as a big-endian number, so its first word is the most
//     significant: a candidate is rejected on that word alone unless it ties
//     the target's first word or is below it.
// All arithmetic is `| 0` int32 so V8 keeps it in registers.

import { IV, expand, rounds } from '../core/sha256-rounds.mjs'

const HEADER_BYTES = 80
/** The nonce is the header's last word, little-endian. */
const NONCE_OFFSET = 76
/** Splitting long scans keeps the inner loop's counter a small integer (a Smi). */
const MAX_INNER_SCAN = 1 << 24

// Scratch shared by every call: this module is single-threaded per isolate
// and no function here re-enters another while holding scratch.
const midstate = new Int32Array(8)
const afterRound3 = new Int32Array(8) // block-2 state before round 3 (nonce-independent)
const state = new Int32Array(8)
const w1 = new Int32Array(64) // schedule of the header's second block
const w2 = new Int32Array(64) // schedule of the second hash's single block
const targetWords = new Int32Array(8)

function readBE32 (bytes, offset) {
  return (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]
}

function bswap32 (x) {
  return (x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)
}



function checkHeader (header80) {
  if (!(header80 instanceof Uint8Array) || header80.length !== HEADER_BYTES) {
    throw new TypeError(`header must be a ${HEADER_BYTES}-byte Uint8Array`)
  }
}

/** Compresses the nonce-independent parts of the header into the scratch arrays. */
function prepareTemplate (header80) {
  for (let i = 0; i < 16; i++) w1[i] = readBE32(header80, i * 4)
  expand(w1, 16)
  midstate.set(IV)
  rounds(midstate, w1, 0, 64)
  for (let i = 0; i < 8; i++) midstate[i] = (midstate[i] + IV[i]) | 0

  w1.fill(0)
  w1[0] = readBE32(header80, 64)
  w1[1] = readBE32(header80, 68)
  w1[2] = readBE32(header80, 72)
  w1[4] = 0x80000000 | 0 // padding bit
  w1[15] = HEADER_BYTES * 8 // message length in bits
  // W16 = s1(W14) + W9 + s0(W1) + W0 and W17 = s1(W15) + W10 + s0(W2) + W1 skip word 3.
  expand(w1, 16)
  afterRound3.set(midstate)
  rounds(afterRound3, w1, 0, 3)

  w2.fill(0)
  w2[8] = 0x80000000 | 0
  w2[15] = 256
}

/** Double hash of the prepared template with `nonce`; leaves the raw digest words in `state`. */
function hashNonce (nonce) {
  w1[3] = bswap32(nonce)
  expand(w1, 18)
  state.set(afterRound3)
  rounds(state, w1, 3, 64)
  for (let i = 0; i < 8; i++) w2[i] = (state[i] + midstate[i]) | 0

  expand(w2, 16)
  state.set(IV)
  rounds(state, w2, 0, 64)
}

/** True when the hash in `state` (plus IV) is <= the target, both as big-endian numbers. */
function stateMeetsTarget () {
  for (let i = 0; i < 8; i++) {
    const h = (state[i] + IV[i]) >>> 0
    const t = targetWords[i] >>> 0
    if (h !== t) return h < t
  }
  return true
}

/**
 * Tries nonces startNonce .. startNonce+count-1 on the header (which is not
 * modified) and returns the first whose double SHA-256, read as a big-endian
 * 256-bit number, is <= the 32-byte big-endian target; -1 if none is.
 */
export function searchNonces (header80, target32BE, startNonce, count) {
  checkHeader(header80)
  if (!(target32BE instanceof Uint8Array) || target32BE.length !== 32) throw new TypeError('target must be a 32-byte Uint8Array')
  if (!Number.isInteger(startNonce) || startNonce < 0 || startNonce > 0xffffffff) throw new RangeError('startNonce must be a uint32')
  if (!Number.isInteger(count) || count < 0 || startNonce + count > 0x100000000) throw new RangeError('count must keep the nonces within uint32')

  prepareTemplate(header80)
  for (let i = 0; i < 8; i++) targetWords[i] = readBE32(target32BE, i * 4)
  const target0 = targetWords[0] >>> 0

  let next = startNonce
  let remaining = count
  while (remaining > 0) {
    const n = Math.min(remaining, MAX_INNER_SCAN)
    let nonce = next | 0
    for (let i = 0; i < n; i++, nonce = (nonce + 1) | 0) {
      hashNonce(nonce)
      // Early out on the most significant word; ties go to the full comparison.
      if (((state[0] + IV[0]) >>> 0) > target0) continue
      if (stateMeetsTarget()) return nonce >>> 0
    }
    next += n
    remaining -= n
  }
  return -1
}

/** The raw double SHA-256 of an 80-byte header (the nonce is the header's own). */
export function headerHash (header80) {
  checkHeader(header80)
  prepareTemplate(header80)
  const nonce = (header80[NONCE_OFFSET] | (header80[NONCE_OFFSET + 1] << 8) |
    (header80[NONCE_OFFSET + 2] << 16) | (header80[NONCE_OFFSET + 3] << 24))
  hashNonce(nonce)
  const out = new Uint8Array(32)
  for (let i = 0; i < 8; i++) {
    const h = (state[i] + IV[i]) | 0
    out[i * 4] = h >>> 24
    out[i * 4 + 1] = h >>> 16
    out[i * 4 + 2] = h >>> 8
    out[i * 4 + 3] = h
  }
  return out
}
