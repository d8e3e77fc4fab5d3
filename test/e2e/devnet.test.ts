// `npm start` (= `minicoin devnet`): a miner, a full node and an SPV node on
// loopback converge, and a payment from the miner's wallet to the SPV wallet
// is proven by the SPV node through a Merkle proof.
import { afterAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Cleanup } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import { attachDaemon, run, type Daemon } from '../../bench/support/daemons.js'
import type { StatusView, WalletView } from '../../src/node/node-api.js'

const cleanup = new Cleanup()
afterAll(async () => { await cleanup.run() })

describe('npm start (minicoin devnet)', () => {
  it('brings up three roles that converge; the SPV node proves a payment from the miner and pays back', async () => {
    const base = cleanup.tempDir()
    const devnet = run(['devnet', '--data-dir', base], cleanup)
    const nodes: Record<string, Daemon> = {}
    for (const role of ['miner', 'full', 'spv']) nodes[role] = await attachDaemon(join(base, role), devnet)
    // every node's URL, not just the first one printed (the summary comes once all three are up)
    await waitFor(() => ['miner', 'full', 'spv'].every(role => devnet.output().includes(nodes[role].info.api)), 'devnet to print the three dashboard URLs', 60_000)

    const status = async (role: string): Promise<StatusView> => await nodes[role].api.get<StatusView>('/api/status')
    // converge: all three at the same tip, at least a few blocks up
    await waitFor(async () => {
      const [m, f, s] = await Promise.all([status('miner'), status('full'), status('spv')])
      return m.height >= 3 && m.tip === f.tip && m.tip === s.tip && f.peers >= 1 && s.peers >= 1
    }, 'three roles to converge', 180_000)

    // the miner's first coinbase matures after coinbaseMaturity blocks
    await waitFor(async () => BigInt((await nodes.miner.api.get<WalletView>('/api/wallet')).balance.confirmed) > 0n, 'mature coins in the miner wallet', 240_000)
    const spvAddress = (await nodes.spv.api.get<WalletView>('/api/wallet')).addresses[0]
    const { txid } = await nodes.miner.api.post<{ txid: string }>('/api/wallet/send', { to: spvAddress, amount: '2500000', fee: '1000' })
    await waitFor(async () => {
      const w = await nodes.spv.api.get<WalletView>('/api/wallet')
      return w.balance.confirmed === '2500000' && w.transactions.some(t => t.txid === txid && t.proof !== undefined)
    }, 'the SPV wallet to prove the payment', 180_000)
    const proven = (await nodes.spv.api.get<WalletView>('/api/wallet')).transactions.find(t => t.txid === txid)!
    expect(proven.proof!.merkleRoot).toMatch(/^[0-9a-f]{64}$/)
    expect(proven.confirmations).toBeGreaterThanOrEqual(1)
    const metrics = await (await fetch(nodes.spv.info.api + '/metrics')).text()
    expect(metrics).toMatch(/minicoin_spv_proofs_verified_total [1-9]/)

    // the light wallet spends what it proved: its own signed transaction goes
    // out over gossip and comes back to it as a proof
    const fullAddress = (await nodes.full.api.get<WalletView>('/api/wallet')).addresses[0]
    const back = await nodes.spv.api.post<{ txid: string }>('/api/wallet/send', { to: fullAddress, amount: '1000000', fee: '1000' })
    await waitFor(async () => (await nodes.full.api.get<WalletView>('/api/wallet')).balance.confirmed === '1000000', 'the full node to receive the SPV payment in a block', 180_000)
    await waitFor(async () => {
      const w = await nodes.spv.api.get<WalletView>('/api/wallet')
      return w.transactions.some(t => t.txid === back.txid && t.proof !== undefined) && w.balance.confirmed === String(2_500_000 - 1_000_000 - 1000)
    }, 'the SPV wallet to prove its own payment and count the change', 180_000)

    // Ctrl-C stops all three and removes nothing we asked to keep
    devnet.signal('SIGINT')
    const exit = await devnet.exited
    expect(exit.code, devnet.output().slice(-2000)).toBe(0)
    for (const role of ['miner', 'full', 'spv']) expect(existsSync(join(base, role, 'node.json'))).toBe(false)
  }, 600_000)
})
