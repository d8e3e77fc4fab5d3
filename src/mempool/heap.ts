// A binary heap ordered by a `before` function (min-heap when it is `<`).
// The mempool's indexes use it with lazy deletion: stale items stay until
// they reach the top, where the caller recognises and skips them.

export class Heap<T> {
  private items: T[] = []

  constructor (private readonly before: (a: T, b: T) => boolean) {}

  get size (): number {
    return this.items.length
  }

  peek (): T | undefined {
    return this.items[0]
  }

  push (x: T): void {
    const a = this.items
    a.push(x)
    let i = a.length - 1
    while (i > 0) {
      const up = (i - 1) >> 1
      if (!this.before(a[i], a[up])) break
      ;[a[up], a[i]] = [a[i], a[up]]
      i = up
    }
  }

  pop (): T | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last !== undefined) {
      a[0] = last
      this.siftDown(0)
    }
    return top
  }

  /** Replaces the contents (O(n) heapify), e.g. to drop stale items. */
  rebuild (items: T[]): void {
    this.items = items
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.siftDown(i)
  }

  clear (): void {
    this.items = []
  }

  private siftDown (start: number): void {
    const a = this.items
    let i = start
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < a.length && this.before(a[l], a[m])) m = l
      if (r < a.length && this.before(a[r], a[m])) m = r
      if (m === i) break
      ;[a[m], a[i]] = [a[i], a[m]]
      i = m
    }
  }
}
