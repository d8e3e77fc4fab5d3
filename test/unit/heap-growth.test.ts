import { describe, expect, it } from 'vitest'
import { boundHeapGrowth, HEAP_GROWING_PERCENT } from '../../src/cli/heap-growth.mjs'

describe('the daemon heap growing factor', () => {
  it('sets the default percent when nothing else is given', () => {
    expect(boundHeapGrowth({}, [])).toBe(HEAP_GROWING_PERCENT)
  })

  it('takes MINICOIN_HEAP_GROWING_PERCENT, and 0 or garbage leaves V8 its own heuristic', () => {
    expect(boundHeapGrowth({ MINICOIN_HEAP_GROWING_PERCENT: '50' }, [])).toBe(50)
    expect(boundHeapGrowth({ MINICOIN_HEAP_GROWING_PERCENT: '0' }, [])).toBeUndefined()
    expect(boundHeapGrowth({ MINICOIN_HEAP_GROWING_PERCENT: 'lots' }, [])).toBeUndefined()
  })

  it('leaves a --heap-growing-percent given on Node\'s command line in force', () => {
    expect(boundHeapGrowth({ MINICOIN_HEAP_GROWING_PERCENT: '50' }, ['--heap-growing-percent=35'])).toBe(35)
    expect(boundHeapGrowth({}, ['--heap_growing_percent=0'])).toBeUndefined()
  })
})
