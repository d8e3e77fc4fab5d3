// Validators against arbitrary structured input (defs/validators.ts).
import { describe } from 'vitest'
import { validatorProperties } from './defs/validators.js'
import { registerProperties } from './runner.js'

describe('property: validators throw only typed errors', () => {
  registerProperties(validatorProperties)
})
