// Decoders against arbitrary and mutated bytes (defs/codec.ts).
import { describe } from 'vitest'
import { codecProperties } from './defs/codec.js'
import { registerProperties } from './runner.js'

describe('property: wire decoders', () => {
  registerProperties(codecProperties)
})
