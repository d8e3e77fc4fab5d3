// `minicoin wallet ...`: the node's wallet through its API (address,
// balance, send, new-address) or through its file (backup, restore).
import type { WalletView } from '../../node/node-api.js'
import { COMMON_OPTIONS, expectPositionals, parse, wantsHelp } from '../args.js'
import { parseAmount } from '../amounts.js'
import { UsageError } from '../errors.js'
import { formatAmount, formatBalance, formatWalletTransactions } from '../format.js'
import type { CliIo } from '../io.js'
import { TARGET_HELP, TARGET_OPTIONS, clientFor, readToken, resolveTarget } from '../target.js'
import { BACKUP_HELP, RESTORE_HELP } from './wallet-files-help.js'

export const WALLET_HELP = `Usage: minicoin wallet <command> [options]

The wallet of a running node (address, balance, send, new-address talk to its
API) or of a node's wallet file (backup, restore).

Commands:
  address                    the wallet's addresses, the first one receives mining rewards
  balance                    confirmed and pending balance
  transactions               recent transactions with their confirmations
  send <to> <amount>         pay <amount> MC to <to> (decimals allowed: 1.5; base units as 150000000sat)
  new-address                hand out a new receiving address
  backup                     print the 24-word recovery phrase (reads the wallet file)
  restore                    recreate a wallet file from its recovery phrase

'minicoin wallet <command> --help' tells more.
`

const ADDRESS_HELP = `Usage: minicoin wallet address [which node] [--json]
       minicoin wallet address --wallet-file <file> [--network <id>] [--password-file <file>]

Prints the wallet's addresses, one a line; the first receives mining rewards
and change. With --wallet-file it reads the wallet file itself, no node
needed (e.g. to check a backup or a restored file).

${TARGET_HELP}

Options:
  --json                  print the raw JSON of GET /api/wallet
  --wallet-file <file>    read this wallet file instead of asking a node
  --network <id>          with --wallet-file: devnet, testnet or regtest (default devnet);
                          the addresses' prefix depends on it
  --password-file <file>  with --wallet-file: the password of an encrypted file (first
                          line; else MINICOIN_WALLET_PASSWORD, else a prompt)
  -h, --help              this help
`

const BALANCE_HELP = `Usage: minicoin wallet balance [which node] [--json]

Prints the confirmed and pending balance (an SPV node counts only what Merkle
proofs verified). A payment counts as confirmed once it is as deep as the
node's wallet.confirmations (default 6 blocks; regtest 1); change of the
wallet's own payments counts once it is in a block.

${TARGET_HELP}

Options:
  --json       print the raw JSON of GET /api/wallet
  -h, --help   this help
`

const TRANSACTIONS_HELP = `Usage: minicoin wallet transactions [which node] [--json]

Prints the wallet's recent transactions, newest first: txid, net effect and
confirmations ('pending' while in the mempool; '(not yet confirmed)' until the
node's wallet.confirmations depth).

${TARGET_HELP}

Options:
  --json       print the raw JSON of GET /api/wallet
  -h, --help   this help
`

const SEND_HELP = `Usage: minicoin wallet send <to> <amount> [--fee <fee>] [--force] [which node]

Builds, signs and publishes a payment of <amount> MC to the address <to>,
prints the amount and the fee it paid on stderr and its txid on stdout.
Amounts are MC with up to 8 decimals, as bitcoin-cli takes BTC (1.5 pays
1.5 MC); base units (1 MC = 100000000) need the suffix sat: 150000000sat.
Change goes to a fresh change address.

Example: minicoin wallet send mc1q... 0.25 --fee 0.00001 --data-dir .data/miner

${TARGET_HELP}

Options:
  --fee <fee>  the fee in MC like <amount> (default: the node's fee rate)
  --force      send even when the fee is above the wallet's cap of 1 MC
               (without it such a payment is refused: fee-too-high)
  -h, --help   this help
`

const NEW_ADDRESS_HELP = `Usage: minicoin wallet new-address [which node]

Derives the wallet's next address (persisted before it is shown) and prints it.

${TARGET_HELP}

Options:
  -h, --help   this help
`

const API_OPTIONS = { ...COMMON_OPTIONS, ...TARGET_OPTIONS } as const

async function runAddress (argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('wallet address', argv, {
    ...API_OPTIONS,
    json: { type: 'boolean' },
    'wallet-file': { type: 'string' },
    network: { type: 'string' },
    'password-file': { type: 'string' }
  })
  expectPositionals(positionals, [], 'wallet address')
  if (values['wallet-file'] !== undefined) {
    const node = (['api', 'cookie', 'data-dir', 'config'] as const).find(k => values[k] !== undefined)
    if (node !== undefined) throw new UsageError(`give --wallet-file (reads the file) or --${node} (asks the node), not both`, 'wallet address')
    return await (await import('./wallet-files.js')).runFileAddresses(values, io)
  }
  for (const flag of ['network', 'password-file'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --wallet-file`, 'wallet address')
  }
  const wallet = await clientFor(await resolveTarget(values, io, 'wallet address')).get<WalletView>('/api/wallet')
  io.out(values.json === true ? JSON.stringify(wallet, null, 2) : wallet.addresses.join('\n'))
  return 0
}

async function runBalance (argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('wallet balance', argv, { ...API_OPTIONS, json: { type: 'boolean' } })
  expectPositionals(positionals, [], 'wallet balance')
  const wallet = await clientFor(await resolveTarget(values, io, 'wallet balance')).get<WalletView>('/api/wallet')
  io.out(values.json === true ? JSON.stringify(wallet, null, 2) : formatBalance(wallet))
  return 0
}

async function runTransactions (argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('wallet transactions', argv, { ...API_OPTIONS, json: { type: 'boolean' } })
  expectPositionals(positionals, [], 'wallet transactions')
  const wallet = await clientFor(await resolveTarget(values, io, 'wallet transactions')).get<WalletView>('/api/wallet')
  io.out(values.json === true ? JSON.stringify(wallet, null, 2) : formatWalletTransactions(wallet))
  return 0
}

async function runSend (argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('wallet send', argv, { ...API_OPTIONS, fee: { type: 'string' }, force: { type: 'boolean' } })
  expectPositionals(positionals, ['to', 'amount'], 'wallet send')
  const [to, amountArg] = positionals
  const amount = parseAmount(amountArg, '<amount>', 'wallet send', false)
  const fee = values.fee === undefined ? undefined : parseAmount(values.fee, '--fee', 'wallet send', true)
  const target = await resolveTarget(values, io, 'wallet send')
  const client = clientFor(target, await readToken(target, 'wallet send'))
  const sent = await client.post<{ txid: string, fee?: string }>('/api/wallet/send', { to, amount, ...(fee !== undefined ? { fee } : {}), ...(values.force === true ? { force: true } : {}) })
  const txid = sent.txid
  // a node older than this CLI does not say its fee: then the one asked for, if any
  const paid = sent.fee ?? fee
  io.err(`sent ${formatAmount(amount)} to ${to}, fee ${paid !== undefined ? formatAmount(paid) : 'not reported by the node'}`)
  io.out(txid)
  return 0
}

async function runNewAddress (argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('wallet new-address', argv, API_OPTIONS)
  expectPositionals(positionals, [], 'wallet new-address')
  const target = await resolveTarget(values, io, 'wallet new-address')
  const { address } = await clientFor(target, await readToken(target, 'wallet new-address')).post<{ address: string }>('/api/wallet/address')
  io.out(address)
  return 0
}

const SUBCOMMANDS: Record<string, { help: string, run: (argv: string[], io: CliIo) => Promise<number> }> = {
  address: { help: ADDRESS_HELP, run: runAddress },
  balance: { help: BALANCE_HELP, run: runBalance },
  transactions: { help: TRANSACTIONS_HELP, run: runTransactions },
  send: { help: SEND_HELP, run: runSend },
  'new-address': { help: NEW_ADDRESS_HELP, run: runNewAddress },
  // the wallet file tools (keystore, mnemonic, key derivation) load only when used
  backup: { help: BACKUP_HELP, run: async (argv, io) => await (await import('./wallet-files.js')).runBackup(argv, io) },
  restore: { help: RESTORE_HELP, run: async (argv, io) => await (await import('./wallet-files.js')).runRestore(argv, io) }
}

export async function runWallet (argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined) {
    io.err(WALLET_HELP)
    return 2
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(WALLET_HELP)
    return 0
  }
  const sub = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined
  if (sub === undefined) throw new UsageError(`unknown wallet command '${name}' (expected ${Object.keys(SUBCOMMANDS).join(', ')})`, 'wallet')
  if (wantsHelp(rest)) {
    io.out(sub.help)
    return 0
  }
  return await sub.run(rest, io)
}
