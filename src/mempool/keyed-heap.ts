// A min-heap of items by a numeric key, kept in two parallel arrays: the
// pool's indexes (eviction score, arrival time) push one item per accepted
// transaction, and a { item, key } object per push was garbage for the
// collector on the acceptance path. The keys are doubles in a Float64Array
// (a plain array would start as small integers and change kind at its first
// fractional key, in every new pool, which threw away the compiled code of
// the acceptance path), and the order is `<` on them, with no comparator
// call. Like Heap, the pool uses it with lazy deletion: stale items are
// recognised and skipped by the caller when they reach the top.

export class KeyedMinHeap<T> {
  private keys = new Float64Array(64)
  private items: T[] = []

  get size (): number {
    return this.items.length
  }

  /** The lowest key, or undefined when empty. */
  peekKey (): number | undefined {
    return this.items.length > 0 ? this.keys[0] : undefined
  }

  /** The item with the lowest key, or undefined when empty. */
  peek (): T | undefined {
    return this.items.length > 0 ? this.items[0] : undefined
  }

  push (key: number, item: T): void {
    const items = this.items
    let i = items.length
    if (i === this.keys.length) this.grow()
    const keys = this.keys
    items.push(item)
    // sift up: move parents down until the slot for (key, item) is found
    while (i > 0) {
      const up = (i - 1) >> 1
      if (!(key < keys[up])) break
      keys[i] = keys[up]
      items[i] = items[up]
      i = up
    }
    keys[i] = key
    items[i] = item
  }

  /** Removes and returns the item with the lowest key (read peekKey first for its key). */
  pop (): T | undefined {
    const keys = this.keys
    const items = this.items
    if (items.length === 0) return undefined
    const top = items[0]
    const last = items.pop() as T
    const lastKey = keys[items.length]
    if (items.length > 0) this.siftDown(0, lastKey, last)
    return top
  }

  /** Replaces the contents (O(n) heapify), e.g. to drop stale items; `keys[i]` is the key of `items[i]`. */
  rebuild (keys: number[], items: T[]): void {
    if (keys.length !== items.length) throw new RangeError(`${keys.length} keys for ${items.length} items`)
    this.keys = new Float64Array(Math.max(64, items.length))
    this.keys.set(keys)
    this.items = items
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.siftDown(i, this.keys[i], items[i])
  }

  clear (): void {
    this.keys = new Float64Array(64)
    this.items = []
  }

  private grow (): void {
    const bigger = new Float64Array(this.keys.length * 2)
    bigger.set(this.keys)
    this.keys = bigger
  }

  /** Places (key, item) at `start` or below, moving smaller children up. */
  private siftDown (start: number, key: number, item: T): void {
    const keys = this.keys
    const items = this.items
    const n = items.length
    let i = start
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const m = r < n && keys[r] < keys[l] ? r : l
      if (!(keys[m] < key)) break
      keys[i] = keys[m]
      items[i] = items[m]
      i = m
    }
    keys[i] = key
    items[i] = item
  }
}
