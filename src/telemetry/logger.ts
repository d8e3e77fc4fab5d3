// Structured logs with levels: JSON lines when piped (for tools), short
// readable lines on a terminal.
import { writeStd } from './stdio.js'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
export type LogLevel = typeof LOG_LEVELS[number]

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }
const COLOR: Record<LogLevel, string> = { debug: '\x1b[90m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m' }

export type LogFields = Record<string, unknown>

export interface Logger {
  debug: (msg: string, fields?: LogFields) => void
  info: (msg: string, fields?: LogFields) => void
  warn: (msg: string, fields?: LogFields) => void
  error: (msg: string, fields?: LogFields) => void
  child: (name: string) => Logger
}

export interface LoggerOptions {
  level?: LogLevel
  name?: string
  /** Human-readable lines; default: when stderr is a terminal. */
  pretty?: boolean
  write?: (line: string) => void
}

function fieldValue (v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Error) return v.message
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
  return v
}

export function createLogger (opts: LoggerOptions = {}): Logger {
  const min = ORDER[opts.level ?? 'info']
  const pretty = opts.pretty ?? process.stderr.isTTY === true
  const write = opts.write ?? ((line: string) => { writeStd('stderr', line + '\n') })
  const make = (name: string | undefined): Logger => {
    const log = (level: LogLevel, msg: string, fields: LogFields = {}): void => {
      if (ORDER[level] < min) return
      const clean: LogFields = {}
      for (const [k, v] of Object.entries(fields)) clean[k] = fieldValue(v)
      if (pretty) {
        const time = new Date().toISOString().slice(11, 23)
        const extra = Object.entries(clean).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
        write(`${COLOR[level]}${time} ${level.toUpperCase().padEnd(5)}\x1b[0m ${name !== undefined ? `[${name}] ` : ''}${msg}${extra.length > 0 ? ' ' + extra : ''}`)
      } else {
        write(JSON.stringify({ time: new Date().toISOString(), level, ...(name !== undefined ? { name } : {}), msg, ...clean }))
      }
    }
    return {
      debug: (m, f) => log('debug', m, f),
      info: (m, f) => log('info', m, f),
      warn: (m, f) => log('warn', m, f),
      error: (m, f) => log('error', m, f),
      child: (child: string) => make(name === undefined ? child : `${name}:${child}`)
    }
  }
  return make(opts.name)
}

/** A logger that discards everything (library default, tests). */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} })
