// The pool's index heap: items come out by ascending key whatever the order
// they went in, ties included, across pushes, pops and rebuilds.
import { describe, expect, it } from 'vitest'
import { KeyedMinHeap } from '../../src/mempool/keyed-heap.js'

/** A small deterministic generator (xorshift32), so a failure can be replayed. */
function random (seed: number): () => number {
  let x = seed
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

describe('KeyedMinHeap', () => {
  it('pops items by ascending key, interleaved with pushes, against a sorted reference', () => {
    const rnd = random(12345)
    const heap = new KeyedMinHeap<{ id: number }>()
    const reference: Array<{ key: number, id: number }> = []
    let id = 0
    for (let step = 0; step < 5000; step++) {
      if (rnd() < 0.6 || reference.length === 0) {
        // few distinct keys: many ties; fractional ones like fee rates
        const key = Math.floor(rnd() * 50) / 4
        heap.push(key, { id })
        reference.push({ key, id })
        id++
      } else {
        reference.sort((a, b) => a.key - b.key)
        const lowest = reference[0].key
        expect(heap.peekKey()).toBe(lowest)
        const item = heap.pop()
        const at = reference.findIndex(r => r.id === item?.id)
        expect(at).not.toBe(-1)
        expect(reference[at].key).toBe(lowest)
        reference.splice(at, 1)
      }
      expect(heap.size).toBe(reference.length)
    }
    const rest: number[] = []
    while (heap.size > 0) {
      rest.push(heap.peekKey() as number)
      heap.pop()
    }
    expect(rest).toEqual(reference.map(r => r.key).sort((a, b) => a - b))
    expect(heap.pop()).toBeUndefined()
    expect(heap.peekKey()).toBeUndefined()
    expect(heap.peek()).toBeUndefined()
  })

  it('rebuilds from unordered keys and items, keeping each key with its item', () => {
    const rnd = random(99)
    const keys = Array.from({ length: 1000 }, () => rnd() * 1e12)
    const items = keys.map(k => ({ k }))
    const heap = new KeyedMinHeap<{ k: number }>()
    heap.push(-1, { k: -1 })
    heap.rebuild(keys.slice(), items.slice())
    expect(heap.size).toBe(1000)
    let last = -Infinity
    while (heap.size > 0) {
      const key = heap.peekKey() as number
      const item = heap.pop() as { k: number }
      expect(item.k).toBe(key)
      expect(key).toBeGreaterThanOrEqual(last)
      last = key
    }
    expect(() => heap.rebuild([1, 2], [{ k: 1 }])).toThrow(RangeError)
    heap.push(3, { k: 3 })
    heap.clear()
    expect(heap.size).toBe(0)
  })
})
