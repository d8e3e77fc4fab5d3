// OldestFirst: the bounded caches' eviction cursor evicts exactly what a
// fresh iterator's first key would, whatever else happens to the map
// between evictions (deletes, entries set again, clears, rehashes as the
// table grows and shrinks).
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { OldestFirst } from '../../src/core/oldest-first.js'

type Op = { kind: 'set', key: number } | { kind: 'delete', key: number } | { kind: 'evict' } | { kind: 'clear' }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }).map(key => ({ kind: 'set' as const, key })) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 40 }).map(key => ({ kind: 'delete' as const, key })) },
  { weight: 4, arbitrary: fc.constant({ kind: 'evict' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) }
)

describe('OldestFirst', () => {
  it('evicts the oldest entry in insertion order, as a fresh iterator would (a Map against a model list)', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 300 }), ops => {
      const map = new Map<number, string>()
      const oldest = new OldestFirst(map)
      // the model: keys in insertion order; setting a present key keeps its place
      let model: number[] = []
      for (const o of ops) {
        if (o.kind === 'set') {
          if (!model.includes(o.key)) model.push(o.key)
          map.set(o.key, `v${o.key}`)
        } else if (o.kind === 'delete') {
          model = model.filter(k => k !== o.key)
          map.delete(o.key)
        } else if (o.kind === 'clear') {
          model = []
          map.clear()
        } else {
          expect(oldest.evict()).toBe(model.shift())
        }
        expect([...map.keys()]).toEqual(model)
      }
    }), { numRuns: 300 })
  })

  it('works on a Set, and an entry deleted and added again counts as new', () => {
    const set = new Set(['a', 'b', 'c'])
    const oldest = new OldestFirst(set)
    set.delete('a')
    set.add('a')
    expect(oldest.evict()).toBe('b')
    expect(oldest.evict()).toBe('c')
    expect(oldest.evict()).toBe('a')
    expect(oldest.evict()).toBeUndefined()
    // a spent cursor: entries added later are found
    set.add('d')
    expect(oldest.evict()).toBe('d')
  })

  it('stays exact across the table\'s rehashes under bounded churn (a cache of 1,000 keys, 20,000 inserts, random deletes)', () => {
    const map = new Map<number, number>()
    const oldest = new OldestFirst(map)
    let seed = 7
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
    for (let i = 0; i < 20_000; i++) {
      map.set(i, i)
      if (random() < 0.3) map.delete(i - Math.floor(random() * 50))
      if (map.size > 1000) {
        const expected = map.keys().next().value
        expect(oldest.evict()).toBe(expected)
      }
    }
    expect(map.size).toBe(1000)
  })
})
