// Token buckets per key (a peer id, or an IP): `burst` tokens at once,
// refilled at `perSecond`. Used for requests per second and for bytes served
// per second. The map is bounded: past `maxKeys` the least recently used
// bucket goes, and an idle bucket is full anyway (forgetting it loses nothing).
import { OldestFirst } from '../core/oldest-first.js'

export interface RateLimiterOptions {
  perSecond: number
  burst: number
  maxKeys?: number
  now?: () => number
}

interface Bucket { tokens: number, at: number }

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>()
  /** The least recently used key first (a cursor across evictions: a peer minting keys must not make each eviction walk the last ones' holes, oldest-first.ts). */
  private readonly oldest = new OldestFirst(this.buckets)
  readonly perSecond: number
  readonly burst: number
  private readonly maxKeys: number
  private readonly now: () => number

  constructor (opts: RateLimiterOptions) {
    this.perSecond = opts.perSecond
    this.burst = opts.burst
    this.maxKeys = opts.maxKeys ?? 10_000
    this.now = opts.now ?? Date.now
  }

  get size (): number {
    return this.buckets.size
  }

  /** The key's bucket, refilled to now and moved to the most recently used end. */
  private bucket (key: string): Bucket {
    const t = this.now()
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: t }
    b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, t - b.at) / 1000) * this.perSecond)
    b.at = t
    this.buckets.delete(key)
    this.buckets.set(key, b)
    while (this.buckets.size > this.maxKeys) this.oldest.evict()
    return b
  }

  /** Tokens available now (negative while a debt is being paid off). */
  available (key: string): number {
    return this.bucket(key).tokens
  }

  /** Takes `cost` tokens if that many are there. */
  take (key: string, cost = 1): boolean {
    const b = this.bucket(key)
    if (b.tokens < cost) return false
    b.tokens -= cost
    return true
  }

  /** Takes `cost` whatever is left: the bucket may go negative (a debt later requests wait out). */
  charge (key: string, cost: number): void {
    this.bucket(key).tokens -= cost
  }

  /** Gives back tokens taken earlier and not used (never above `burst`). */
  refund (key: string, amount: number): void {
    const b = this.bucket(key)
    b.tokens = Math.min(this.burst, b.tokens + amount)
  }

  /** Milliseconds until at least `amount` tokens are there (0 = now; Infinity if more than a full bucket). */
  msUntil (key: string, amount: number): number {
    if (amount > this.burst) return Infinity
    const missing = amount - this.bucket(key).tokens
    return missing <= 0 ? 0 : Math.ceil((missing / this.perSecond) * 1000)
  }
}

