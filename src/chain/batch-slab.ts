// Coin keys as map keys. A block's keys and values themselves are packed
// into one buffer per block (block-batch.ts), which replaced the slabs of
// small views this file used to cut them from.

/** The bytes as a latin1 string (one char per byte): a map key without hex. */
export function latin1 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}
