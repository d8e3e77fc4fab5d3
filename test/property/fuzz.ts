// npm run fuzz [seconds] [--only <part of a name>] [--seed <n> [--path <p>]] [--include-skipped]
//
// Runs the property definitions of test/property (the same ones `npm test`
// runs a few cases of) for a time budget split evenly between them, with a
// fresh seed each. Prints one JSON line per property; a failure line carries
// the seed, the shrink path and the counterexample, and replays with
//   npm run fuzz -- 60 --only "<name>" --seed <seed> --path "<path>"
// Exit status 1 when any property failed.
import fc from 'fast-check'
import { randomInt } from 'node:crypto'
import { allProperties } from './all.js'
import { asProperty } from './harness.js'

interface Options { seconds: number, only?: string, seed?: number, path?: string, includeSkipped: boolean }

function parseArgs (argv: string[]): Options {
  const o: Options = { seconds: 60, includeSkipped: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--only') o.only = value()
    else if (a === '--seed') o.seed = Number(value())
    else if (a === '--path') o.path = value()
    else if (a === '--include-skipped') o.includeSkipped = true
    else if (/^\d+(\.\d+)?$/.test(a)) o.seconds = Number(a)
    else throw new Error(`unknown argument ${a} (usage: npm run fuzz [seconds] [--only <name>] [--seed <n> [--path <p>]] [--include-skipped])`)
  }
  if (!(o.seconds > 0)) throw new Error('seconds must be positive')
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new Error('--seed must be an integer')
  return o
}

function line (obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

const opts = parseArgs(process.argv.slice(2))
const selected = allProperties.filter(d => (opts.only === undefined || d.name.includes(opts.only)) && (d.skip === undefined || opts.includeSkipped || opts.only !== undefined))
if (selected.length === 0) {
  process.stderr.write(`no property matches "${opts.only ?? ''}"; properties:\n${allProperties.map(d => '  ' + d.name).join('\n')}\n`)
  process.exit(2)
}
const budgetMs = Math.max(1000, Math.floor(opts.seconds * 1000 / selected.length))
let failed = 0
for (const def of selected) {
  const seed = opts.seed ?? randomInt(-(2 ** 31), 2 ** 31 - 1)
  // printed before running, so even a hard crash leaves the seed behind
  process.stderr.write(`fuzz: ${def.name} (seed ${seed}, ${budgetMs} ms)\n`)
  const started = performance.now()
  const details = await fc.check(asProperty(def), {
    seed,
    path: opts.path,
    numRuns: opts.path !== undefined ? 1 : Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: budgetMs,
    markInterruptAsFailure: false
  })
  const result: Record<string, unknown> = {
    property: def.name,
    result: details.failed ? 'failed' : 'ok',
    runs: details.numRuns,
    seconds: Math.round(performance.now() - started) / 1000,
    seed: details.seed
  }
  if (def.skip !== undefined) result.knownBug = def.skip
  if (details.failed) {
    failed++
    result.path = details.counterexamplePath
    result.counterexample = details.counterexample === null ? null : fc.stringify(details.counterexample)
    result.error = details.errorInstance instanceof Error ? details.errorInstance.message.split('\n').slice(0, 6).join('\n') : String(details.errorInstance)
    result.replay = `npm run fuzz -- ${opts.seconds} --only ${JSON.stringify(def.name)} --seed ${details.seed} --path ${JSON.stringify(details.counterexamplePath)}`
  }
  line(result)
}
process.exitCode = failed > 0 ? 1 : 0
