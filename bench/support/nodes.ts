// Configs and loggers for real nodes started in this process on 127.0.0.1
// (mDNS off) with temporary data dirs, and the cleanup list that removes them.
import type { NodeConfig } from '../../src/node/config.js'
import { createLogger, type Logger } from '../../src/telemetry/logger.js'
import { tempDir } from './chain-fixtures.js'

export function testConfig (role: NodeConfig['role'], dataDir: string, overrides: Partial<NodeConfig> = {}): NodeConfig {
  return {
    role,
    network: 'regtest',
    dataDir,
    p2p: { host: '127.0.0.1', port: 0, bootstrap: [], mdns: false, maxPeers: 32 },
    api: { host: '127.0.0.1', port: 0, allowedHosts: [] },
    mining: { enabled: false, threads: 1, payout: null },
    wallet: { file: 'wallet.json', password: null },
    log: { level: 'warn' },
    demo: { enabled: false, intervalSeconds: 5, amount: '1000' },
    mempool: { maxBytes: 64_000_000, maxAncestors: 25, maxAncestorBytes: 101_000, maxDescendants: 25, maxDescendantBytes: 101_000 },
    ...overrides
  }
}

export function testLogger (name: string): Logger {
  return createLogger({ level: process.env.MINICOIN_TEST_LOG === '1' ? 'debug' : 'error', name, pretty: false })
}

/** Collects cleanups to run in reverse order after a test. */
export class Cleanup {
  private readonly steps: Array<() => Promise<void> | void> = []

  add (step: () => Promise<void> | void): void {
    this.steps.push(step)
  }

  tempDir (): string {
    const d = tempDir()
    this.add(() => d.remove())
    return d.path
  }

  async run (): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try { await step() } catch { /* keep cleaning */ }
    }
  }
}
