// Evicting the oldest entry of a Map or Set (insertion order) in amortised
// constant time, for the bounded caches that drop their oldest entry at
// every insert past their bound.
//
// `map.keys().next()` looks O(1) and is not. V8 leaves a hole in a hash
// table's entry list where an entry was deleted, until the table is next
// rehashed, and every fresh iterator starts at the front and walks the holes
// there. A table evicted oldest-first piles its holes up exactly there, up
// to its capacity less its size: a 50,000-entry map kept ~8,000 of them on
// average, so every eviction walked thousands (the coin cache: 16% of a
// syncing node's main thread at 150,000 transactions; bench
// bounded_cache_evict: 95x fewer inserts a second than with this;
// BENCHMARKS.md, issue 12 session 10). A cursor kept from one eviction to
// the next walks each hole once. It stays correct
// because only evict() moves it and evict() deletes what it passes: every
// entry before the cursor is gone, so the next live one is the oldest. An
// entry deleted and set again moves to the end, as for a fresh iterator.
// Iterators over a Map or Set follow it through rehashes and clear().

/** What OldestFirst needs of a Map or a Set. */
export interface InsertionOrdered<K> {
  keys: () => IterableIterator<K>
  delete: (key: K) => boolean
}

export class OldestFirst<K> {
  private cursor: Iterator<K> | undefined

  constructor (private readonly entries: InsertionOrdered<K>) {}

  /** Deletes the oldest entry and returns its key; undefined when there is none. */
  evict (): K | undefined {
    let next = this.cursor?.next()
    // a spent iterator stays spent: entries added since need a new one
    if (next === undefined || next.done === true) {
      this.cursor = this.entries.keys()
      next = this.cursor.next()
    }
    if (next.done === true) return undefined
    this.entries.delete(next.value)
    return next.value
  }
}
