// A token bucket per peer: `burst` requests at once, refilled at `perSecond`.
export class PeerRateLimiter {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

  constructor (private readonly perSecond: number, private readonly burst: number, private readonly now: () => number = Date.now) {}

  take (peerId: string, cost = 1): boolean {
    const t = this.now()
    const b = this.buckets.get(peerId) ?? { tokens: this.burst, at: t }
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond)
    b.at = t
    this.buckets.set(peerId, b)
    if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value as string)
    if (b.tokens < cost) return false
    b.tokens -= cost
    return true
  }
}
