// Random mempool operation sequences (defs/mempool.ts).
import { describe } from 'vitest'
import { mempoolProperties } from './defs/mempool.js'
import { registerProperties } from './runner.js'

describe('property: mempool consistency', () => {
  registerProperties(mempoolProperties)
})
