// `minicoin status`: one look at a running node.
import type { StatusView } from '../../node/node-api.js'
import { COMMON_OPTIONS, expectPositionals, parse, wantsHelp } from '../args.js'
import { formatStatus } from '../format.js'
import type { CliIo } from '../io.js'
import { TARGET_HELP, TARGET_OPTIONS, clientFor, resolveTarget } from '../target.js'

export const STATUS_HELP = `Usage: minicoin status [--data-dir <dir> | --config <file> | --api <url>] [--json]

Shows a running node's role, chain height and tip, peers, mempool and (for a
miner) mining state.

${TARGET_HELP}

Options:
  --json       print the raw JSON of GET /api/status
  -h, --help   this help
`

export async function runStatus (argv: string[], io: CliIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(STATUS_HELP)
    return 0
  }
  const { values, positionals } = parse('status', argv, { ...COMMON_OPTIONS, ...TARGET_OPTIONS, json: { type: 'boolean' } })
  expectPositionals(positionals, [], 'status')
  const target = await resolveTarget(values, io, 'status')
  const status = await clientFor(target).get<StatusView>('/api/status')
  io.out(values.json === true ? JSON.stringify(status, null, 2) : formatStatus(status, target.url))
  return 0
}
