// Argument parsing on node:util parseArgs, with its errors turned into
// UsageErrors that name the command.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './errors.js'

export type Options = NonNullable<ParseArgsConfig['options']>

/** Every command takes --help and --debug (stack traces; main reads it before parsing). */
export const COMMON_OPTIONS = { help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } } as const satisfies Options

/** True when the user asked for help; checked before parsing so `--help` works next to any mistake. */
export function wantsHelp (argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).some(a => a === '--help' || a === '-h')
}

// parseArgs takes `-5` for an option (`send <to> -5` said "Unknown option
// '-5'", `--fee -1` printed its own advice): negative numbers are hidden
// behind a marker while parsing and restored after, so the command's own
// check says what is wrong with them.
const NEGATIVE_NUMBER = /^-[0-9.]/
const MARK = '\u0000negative:'

function unmark<T> (v: T): T {
  if (typeof v === 'string') return (v.startsWith(MARK) ? v.slice(MARK.length) : v) as T
  if (Array.isArray(v)) return v.map(unmark) as T
  return v
}

export function parse<O extends Options> (command: string, argv: string[], options: O) {
  const end = argv.indexOf('--')
  const marked = argv.map((a, i) => (end === -1 || i < end) && NEGATIVE_NUMBER.test(a) ? MARK + a : a)
  let parsed
  try {
    parsed = parseArgs({ args: marked, options, allowPositionals: true, strict: true })
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '')
    throw new UsageError(message, command)
  }
  for (const key of Object.keys(parsed.values)) (parsed.values as Record<string, unknown>)[key] = unmark((parsed.values as Record<string, unknown>)[key])
  parsed.positionals = parsed.positionals.map(unmark)
  return parsed
}

export function parsePort (value: string | undefined, flag: string, command: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535) throw new UsageError(`${flag}: expected a port from 0 to 65535, got '${value}'`, command)
  return Number(value)
}

export function parseCount (value: string | undefined, flag: string, command: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^[0-9]{1,9}$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got '${value}'`, command)
  return Number(value)
}

export function expectPositionals (positionals: string[], names: string[], command: string): void {
  if (positionals.length < names.length) throw new UsageError(`missing ${names.slice(positionals.length).map(n => `<${n}>`).join(' ')}`, command)
  if (positionals.length > names.length) throw new UsageError(`unexpected argument '${positionals[names.length]}'`, command)
}
