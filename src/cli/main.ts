// The `minicoin` command. Errors are one line naming what is wrong, with a
// non-zero exit status; the stack trace only with --debug.
import '../polyfill.js'
import { ApiRequestError, ApiUnreachableError } from '../api/client.js'
import { CliError, EXIT_FAILURE, EXIT_USAGE, UsageError } from './errors.js'
import { processIo, type CliIo } from './io.js'
import { guardStdio } from '../telemetry/stdio.js'
import { version } from './version.js'

export const MAIN_HELP = `Usage: minicoin <command> [options]

A small proof-of-work cryptocurrency: miner, full and SPV nodes over libp2p.

Commands:
  node --config <file>   run a node daemon (miner, full or spv, as the config says)
  devnet                 run a miner, a full node and an SPV node on this machine
  status                 show a running node's state
  wallet <command>       the node's wallet: address, balance, send, new-address,
                         backup, restore

Options:
  --debug                show stack traces with errors
  -h, --help             this help ('minicoin <command> --help' for a command's)
  -v, --version          print the version

Examples:
  minicoin devnet
  minicoin node --config config/miner.json
  minicoin status --data-dir .data/miner
  minicoin wallet send mc1q... 1.5 --data-dir .data/miner    (amounts in MC)
`

interface Command { help: string, run: (argv: string[], io: CliIo) => Promise<number> }

// Each command's module is loaded only when that command runs (or its help is
// asked for): `minicoin --version` or `status` then never load the node, and
// the daemon never loads the wallet file tools. Literal import() paths, so
// tsx, tsc's dist/ and the esbuild bundle all resolve them.
export const COMMANDS: Record<string, () => Promise<Command>> = {
  node: async () => { const m = await import('./commands/node.js'); return { help: m.NODE_HELP, run: m.runNodeCommand } },
  devnet: async () => { const m = await import('./commands/devnet.js'); return { help: m.DEVNET_HELP, run: m.runDevnet } },
  status: async () => { const m = await import('./commands/status.js'); return { help: m.STATUS_HELP, run: m.runStatus } },
  wallet: async () => { const m = await import('./commands/wallet.js'); return { help: m.WALLET_HELP, run: m.runWallet } }
}

function describeError (err: unknown): { message: string, exitCode: number, hint?: string } {
  if (err instanceof UsageError) return { message: err.message, exitCode: err.exitCode, hint: `see 'minicoin ${err.command === '' ? '' : err.command + ' '}--help'` }
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode }
  if (err instanceof ApiUnreachableError) return { message: err.message, exitCode: EXIT_FAILURE }
  if (err instanceof ApiRequestError) return { message: `the node refused: ${err.message} (${err.code})`, exitCode: EXIT_FAILURE }
  if (err instanceof Error) return { message: err.message, exitCode: EXIT_FAILURE }
  return { message: String(err), exitCode: EXIT_FAILURE }
}

/** Runs the command line `argv` (without node and script) and returns the exit status. */
export async function main (argv: string[], io: CliIo = processIo): Promise<number> {
  const end = argv.indexOf('--')
  const debug = (end === -1 ? argv : argv.slice(0, end)).includes('--debug')
  const [name, ...rest] = argv.filter((a, i) => !(i === 0 && a === '--debug'))
  try {
    if (name === undefined) {
      io.err(MAIN_HELP)
      return EXIT_USAGE
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const topic = rest[0]
      io.out(topic !== undefined && Object.hasOwn(COMMANDS, topic) ? (await COMMANDS[topic]()).help : MAIN_HELP)
      return 0
    }
    if (name === '--version' || name === '-v' || name === 'version') {
      io.out(`minicoin ${version()}`)
      return 0
    }
    if (!Object.hasOwn(COMMANDS, name)) {
      throw new UsageError(`unknown command '${name}' (expected ${Object.keys(COMMANDS).join(', ')})`, '')
    }
    return await (await COMMANDS[name]()).run(rest, io)
  } catch (err) {
    const { message, exitCode, hint } = describeError(err)
    io.err(`minicoin: error: ${message}`)
    if (hint !== undefined) io.err(hint)
    if (debug && err instanceof Error && err.stack !== undefined) io.err(err.stack)
    return exitCode
  }
}

// Only when run as the program (bin/minicoin.js), not when imported by tests.
// No top-level await: the daemon's build is a script compiled with a V8 code
// cache (scripts/code-cache.mjs), which cannot await at its top level.
const entry = process.argv[1] ?? ''
if (/(?:^|[\\/])(?:minicoin(?:\.js)?|main\.ts)$/.test(entry)) {
  guardStdio()
  void main(process.argv.slice(2)).then(code => process.exit(code))
}
