// How deep a payment must be before a wallet counts it as confirmed. Six
// blocks is Bitcoin's long-standing convention (an attacker with a minority
// of the hash rate almost never overtakes six); devnet and testnet keep it.
// regtest mines on demand in tests and demos, where one block is enough.
// Wallet policy, not consensus: the config's wallet.confirmations overrides it.
import type { NetworkId } from '../core/params.js'

export const DEFAULT_CONFIRMATIONS: Readonly<Record<NetworkId, number>> = { devnet: 6, testnet: 6, regtest: 1 }

export const MAX_CONFIRMATIONS = 10_000

export function defaultConfirmations (network: NetworkId): number {
  return DEFAULT_CONFIRMATIONS[network]
}
