// The help of `minicoin wallet backup` and `restore`, apart from their code so
// that `minicoin wallet --help` and the API subcommands load no keystore,
// mnemonic or key derivation code.
export const WALLET_FILE_HELP = `Which wallet file:
  --data-dir <dir>        the node's data dir (its wallet file, normally <dir>/wallet.json)
  --config <file>         the node's config (its dataDir, wallet.file and wallet.password)
  --wallet-file <file>    the wallet file itself
Password of an encrypted wallet, first found of: --password-file <file> (first
line), the MINICOIN_WALLET_PASSWORD environment variable, the config's
wallet.password, a prompt on the terminal.`

export const BACKUP_HELP = `Usage: minicoin wallet backup (--data-dir <dir> | --config <file> | --wallet-file <file>)
                             [--password-file <file>]

Prints the wallet's 24-word recovery phrase. Anyone who has these words can
spend the wallet's coins: write them down, keep them offline. The phrase is
read from the wallet file directly (the node may be running or not); it never
goes through the HTTP API.

${WALLET_FILE_HELP}

Options:
  -h, --help   this help
`

export const RESTORE_HELP = `Usage: minicoin wallet restore (--data-dir <dir> | --config <file> | --wallet-file <file>)
                              [--mnemonic-file <file>] [--addresses <n>] [--network <id>]
                              [--password-file <file> | --unencrypted]

Recreates a wallet file from a recovery phrase, for a node that is NOT
running. The phrase is read from --mnemonic-file, else from stdin (a hidden
prompt on a terminal). An existing wallet file is never overwritten: move it
away first. Start the node afterwards; it picks the restored wallet up.

${WALLET_FILE_HELP}
Without a password the wallet is written unencrypted (mode 0600) only with
--unencrypted or when the config's wallet.password is null.

Options:
  --mnemonic-file <file>  file holding the phrase
  --addresses <n>         HD addresses to recreate (default 20)
  --network <id>          devnet, testnet or regtest (default: the config's, else devnet);
                          only changes the address shown
  --unencrypted           store without a password (file permissions only)
  -h, --help              this help
`
