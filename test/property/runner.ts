// Registers property definitions as vitest tests (bounded cases for CI).
import { fc, it } from '@fast-check/vitest'
import type { AnyPropertyDef } from './harness.js'

export function registerProperties (defs: AnyPropertyDef[], timeoutMs = 60_000): void {
  for (const def of defs) {
    const params: fc.Parameters<unknown[]> = { numRuns: def.ciRuns }
    if (def.skip !== undefined) {
      // a known bug in code another helper owns; `npm run fuzz -- --only` still runs it
      it.skip.prop(def.arbitraries, params)(`${def.name} [skipped: ${def.skip}]`, def.predicate)
    } else {
      it.prop(def.arbitraries, params)(def.name, def.predicate, timeoutMs)
    }
  }
}
