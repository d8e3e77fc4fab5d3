// Opens (or creates) a daemon's wallet from its config: encrypted when the
// config gives a password, else plain with file mode 0600 (a daemon cannot
// prompt for a password).
import type { NetworkParams } from '../core/params.js'
import { Wallet } from '../wallet/wallet.js'
import { walletFilePath, type NodeConfig } from './config.js'
import type { Logger } from '../telemetry/logger.js'

export async function openNodeWallet (config: NodeConfig, params: NetworkParams, log: Logger): Promise<Wallet> {
  const protection = config.wallet.password === null ? { unencrypted: true as const } : { password: config.wallet.password }
  const file = walletFilePath(config)
  const { wallet, created } = await Wallet.openOrCreate(file, { params, protection })
  if (created) log.info('created a new wallet', { file, address: wallet.primaryAddress().address })
  const warning = await wallet.permissionWarning()
  if (warning !== null) log.warn(warning)
  return wallet
}
