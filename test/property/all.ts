// Every property definition, for the fuzz runner (scripts/fuzz.ts).
import { codecProperties } from './defs/codec.js'
import { mempoolProperties } from './defs/mempool.js'
import { reorgProperties } from './defs/reorg.js'
import { validatorProperties } from './defs/validators.js'
import type { AnyPropertyDef } from './harness.js'

export const allProperties: AnyPropertyDef[] = [...codecProperties, ...validatorProperties, ...mempoolProperties, ...reorgProperties]
