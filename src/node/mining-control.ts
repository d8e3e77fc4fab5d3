// Mining as a capability: a role that mines has a MiningControl (NodeApi's
// `mining`); a role that does not has none, so nothing has to throw "not a
// miner" and the API answers that from the capability's absence.
import { encodeAddress } from '../wallet/address.js'
import type { NetworkParams } from '../core/params.js'
import type { Logger } from '../telemetry/logger.js'
import type { Miner } from '../miner/miner.js'

export interface MiningStatus { enabled: boolean, threads: number, hashRate: number, blocksMined: number }

export interface MiningControl {
  /** Starts or stops the block search (stopping finishes in the background). */
  setEnabled: (enabled: boolean) => void
  status: () => MiningStatus
}

export function miningControl (miner: Miner, params: NetworkParams, log: Logger): MiningControl {
  return {
    setEnabled (enabled: boolean): void {
      if (enabled) {
        miner.start()
        log.info('mining started', { threads: miner.threads, payTo: encodeAddress(miner.payTo, params) })
      } else {
        void miner.stop().then(() => log.info('mining stopped'))
      }
    },
    status: () => ({ enabled: miner.running, threads: miner.threads, hashRate: miner.hashRate(), blocksMined: miner.blocksMined })
  }
}
