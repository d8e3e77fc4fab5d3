// Random block trees, reorganisations and restarts (defs/reorg.ts).
import { describe } from 'vitest'
import { reorgProperties } from './defs/reorg.js'
import { registerProperties } from './runner.js'

describe('property: chain reorganisations', () => {
  registerProperties(reorgProperties)
})
