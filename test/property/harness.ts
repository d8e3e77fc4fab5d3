// One definition per property, run two ways: by vitest with a small number of
// cases (test/property/*.test.ts, part of `npm test`) and by `npm run fuzz`
// with a time budget (scripts/fuzz.ts). Predicates use node:assert, not
// vitest's expect, so the fuzz runner can run them outside vitest.
import fc from 'fast-check'
import { ValidationError } from '../../src/core/errors.js'

export interface PropertyDef<Ts extends [unknown, ...unknown[]]> {
  /** Stable name, also the test name; `npm run fuzz -- --only <substring>` selects by it. */
  name: string
  arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> }
  predicate: (...args: Ts) => void | Promise<void>
  /** Cases per CI run (keep the whole property suite well under a minute on 2 loaded cores). */
  ciRuns: number
  /** A known bug in code another helper owns: CI skips it; the reason names the bug. */
  skip?: string
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPropertyDef = PropertyDef<any>

export function defineProperty<Ts extends [unknown, ...unknown[]]> (def: PropertyDef<Ts>): AnyPropertyDef {
  return def
}

/** A fast-check property of a definition (always async: some predicates are). */
export function asProperty (def: AnyPropertyDef): fc.IAsyncPropertyWithHooks<unknown[]> {
  return fc.asyncProperty(...(def.arbitraries as [fc.Arbitrary<unknown>]), async (...args: unknown[]) => { await def.predicate(...args) })
}

/**
 * Runs `fn` and returns what it returned, or undefined when it threw a typed
 * error of `kind`; anything else thrown fails the property (that is the point:
 * peers and API callers only ever see typed rejections).
 */
export async function onlyTyped<T> (fn: () => T | Promise<T>, kind: new (...args: never[]) => Error = ValidationError): Promise<{ ok: true, value: T } | { ok: false, error: Error }> {
  try {
    return { ok: true, value: await fn() }
  } catch (err) {
    if (err instanceof kind) return { ok: false, error: err }
    throw new Error(`threw ${(err as Error)?.name ?? typeof err} instead of ${kind.name}: ${(err as Error)?.stack ?? String(err)}`)
  }
}

/** Plain data for deep comparison: bytes as hex, bigints tagged (Buffer and Uint8Array compare equal). */
export function plain (x: unknown): unknown {
  if (x instanceof Uint8Array) return 'bytes:' + Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex')
  if (typeof x === 'bigint') return 'bigint:' + x.toString()
  if (Array.isArray(x)) return x.map(plain)
  if (x !== null && typeof x === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(x).sort()) out[k] = plain((x as Record<string, unknown>)[k])
    return out
  }
  return x
}
