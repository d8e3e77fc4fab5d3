// The one deadline-bound poll used by tests and benches: never sleep-and-hope,
// wait on a condition and fail with what was awaited when the deadline passes.

/**
 * Polls `check` until it returns something other than `false`, `undefined` or
 * `null`, and resolves to that value. Throws (naming `what`) after `ms`.
 * A `check` that throws ends the wait with its error.
 */
export async function waitFor<T> (check: () => T | Promise<T>, what: string, ms = 30_000, pollMs = 20): Promise<Exclude<T, false | undefined | null>> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== false && value !== undefined && value !== null) return value as Exclude<T, false | undefined | null>
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, pollMs))
  }
}
