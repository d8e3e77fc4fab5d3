// The keys and values of one block's batch, cut from a few large buffers
// instead of one small array each. A block's batch holds tens of thousands
// of them, and LevelDB's binding has to move every small (on-heap) array off
// the heap before it can read it: staging 21,000 ops took ~13 ms with an
// array each and ~4 ms as views of one buffer, and the collector has a few
// buffers to follow instead of thousands (BENCHMARKS.md, issue 12 session 4).
// Views stay valid as long as anything holds them (the coin cache keeps a
// coin's value); nothing writes to a view after it is handed out.

const CHUNK_BYTES = 64 * 1024

export class Slab {
  private chunk: Buffer
  private at = 0

  constructor (private readonly chunkBytes = CHUNK_BYTES) {
    this.chunk = Buffer.allocUnsafeSlow(chunkBytes)
  }

  /** `n` fresh bytes (their contents are whatever the caller writes). */
  take (n: number): Uint8Array {
    if (this.at + n > this.chunk.length) {
      this.chunk = Buffer.allocUnsafeSlow(Math.max(n, this.chunkBytes))
      this.at = 0
    }
    const out = new Uint8Array(this.chunk.buffer, this.chunk.byteOffset + this.at, n)
    this.at += n
    return out
  }

  /** latin1(bytes) for bytes taken from this slab's current chunk, without a Buffer object per call. */
  latin1 (bytes: Uint8Array): string {
    if (bytes.buffer !== this.chunk.buffer) return latin1(bytes)
    const start = bytes.byteOffset - this.chunk.byteOffset
    return this.chunk.toString('latin1', start, start + bytes.byteLength)
  }
}

/** The bytes as a latin1 string (one char per byte): a map key without hex. */
export function latin1 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}
