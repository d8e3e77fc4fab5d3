// Shared pieces of the benchmarks: one JSON object per line on stdout.

export interface BenchResult {
  bench: string
  value: number
  unit: string
  /** What the figure should be compared with, printed in the same run. */
  reference?: string
  [extra: string]: unknown
}

export interface Bench {
  name: string
  group: 'core' | 'chain' | 'p2p'
  run: () => Promise<BenchResult[]>
}

export function emit (result: BenchResult): void {
  process.stdout.write(JSON.stringify(result) + '\n')
}

/** Runs `fn` repeatedly for at least `minMs` and returns operations per second. */
export async function rate (fn: () => unknown | Promise<unknown>, opsPerCall: number, minMs = 1000): Promise<number> {
  // warm up so the JIT has settled before the clock starts
  const warmUntil = performance.now() + Math.min(200, minMs / 4)
  while (performance.now() < warmUntil) await fn()
  let calls = 0
  const start = performance.now()
  let now = start
  while (now - start < minMs) {
    await fn()
    calls++
    now = performance.now()
  }
  return (calls * opsPerCall) / ((now - start) / 1000)
}

export function round (n: number, digits = 0): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

export function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]
}
