// A newcomer's session with the real `minicoin` command and two daemons:
// log lines a person can follow (peers with their role, a catch-up from its
// start to "caught up at height …"), amounts in MC with decimals and the fee
// of every send, and a wrong token told apart from a missing one.
import { afterEach, describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Cleanup } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import { BIN, dialAddress, readyDaemon, run, startDaemon, writeConfig } from '../../bench/support/daemons.js'
import { spawnNode, stopProcess } from '../../bench/support/process.js'
import type { StatusView, TxView, WalletView } from '../../src/node/node-api.js'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

async function cli (...args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const p = spawnNode([BIN, ...args])
  cleanup.add(async () => { await stopProcess(p) })
  const exit = await p.exited
  return { code: exit.code, stdout: p.stdout(), stderr: p.stderr() }
}

/** The `msg` of every JSON log line in `output`. */
function messages (output: string): string[] {
  return output.split('\n').filter(l => l.startsWith('{')).map(l => { try { return String(JSON.parse(l).msg) } catch { return '' } })
}

describe('minicoin: logs, amounts and tokens as a person meets them', () => {
  it('logs peers with their role and a catch-up; sends 1.5 MC and prints the fee; says when a token is wrong', async () => {
    const miner = await startDaemon(cleanup, 'miner')
    await miner.api.post('/api/mining', { enabled: true })
    // a few matured coinbases (regtest: maturity 3) and a chain worth catching up with
    await waitFor(async () => {
      const [s, w] = await Promise.all([miner.api.get<StatusView>('/api/status'), miner.api.get<WalletView>('/api/wallet')])
      return s.height >= 8 && BigInt(w.balance.confirmed) >= 200_000_000n
    }, 'eight blocks and 2 MC in the miner wallet', 120_000)
    await miner.api.post('/api/mining', { enabled: false })
    // mining stops asynchronously: a block may still land after this read, so
    // the catch-up below ends at this height or a little later
    const height = (await miner.api.get<StatusView>('/api/status')).height
    const caughtUp = (log: string[]): number | undefined => log.map(m => /^caught up at height (\d+)$/.exec(m)?.[1]).filter(h => h !== undefined).map(Number).find(h => h >= height)

    const dir = cleanup.tempDir()
    const config = writeConfig(dir, 'full', { p2p: { host: '127.0.0.1', port: 0, bootstrap: [dialAddress(miner)], mdns: false } })
    const full = await readyDaemon(run(['node', '--config', config], cleanup), join(dir, 'data'), 120_000)
    await waitFor(async () => (await full.api.get<StatusView>('/api/status')).height >= height, 'the full node to catch up', 120_000)
    await waitFor(() => caughtUp(messages(full.proc.output())), `"caught up at height ${height}" (or later) in the full node's log`, 30_000)
      .catch(err => { throw new Error(`${(err as Error).message}:\n${messages(full.proc.output()).join('\n')}`) })
    const fullLog = messages(full.proc.output())
    expect(fullLog).toContain(`connected to miner peer ${miner.info.peerId}`)
    expect(fullLog.some(m => /^syncing: at height \d+, peers are at \d+$/.test(m)), fullLog.join('\n')).toBe(true)
    await waitFor(() => messages(miner.proc.output()).includes(`connected to full peer ${full.info.peerId}`), 'the miner to log its full peer')
    // an SPV node says the same of its header catch-up
    const spvDir = cleanup.tempDir()
    const spvConfig = writeConfig(spvDir, 'spv', { p2p: { host: '127.0.0.1', port: 0, bootstrap: [dialAddress(miner)], mdns: false } })
    const spv = await readyDaemon(run(['node', '--config', spvConfig], cleanup), join(spvDir, 'data'), 120_000)
    await waitFor(() => caughtUp(messages(spv.proc.output())), `"caught up at height ${height}" (or later) in the SPV node's log`, 60_000)
      .catch(err => { throw new Error(`${(err as Error).message}:\n${messages(spv.proc.output()).join('\n')}`) })
    expect(messages(spv.proc.output())).toContain(`connected to miner peer ${miner.info.peerId}`)

    // amounts: MC with decimals; the fee printed with the send
    const to = (await full.api.get<WalletView>('/api/wallet')).addresses[0]
    const sent = await cli('wallet', 'send', to, '1.5', '--data-dir', miner.dataDir)
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stderr).toMatch(new RegExp(`^sent 1\\.50000000 MC \\(150000000 base units\\) to ${to}, fee 0\\.[0-9]{8} MC \\([1-9][0-9]* base units\\)\\n$`))
    const txid = sent.stdout.trim()
    const tx = await miner.api.get<TxView>(`/api/tx/${txid}`)
    expect(tx.outputs).toContainEqual({ address: to, amount: '150000000' })
    expect(sent.stderr).toContain(`fee ${(Number(tx.fee) / 1e8).toFixed(8)} MC (${tx.fee} base units)`)
    // negative and malformed amounts in any position: one clear line, exit 2
    for (const [args, message] of [
      [[to, '-5'], "<amount>: must be positive, got '-5'"],
      [[to, '1', '--fee', '-1'], "--fee: cannot be negative, got '-1'"],
      [[to, '1,5'], "<amount>: expected MC with up to 8 decimals such as 1.5, or base units with the suffix sat such as 150000000sat; got '1,5'"]
    ] as const) {
      const r = await cli('wallet', 'send', ...args, '--data-dir', miner.dataDir)
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr.split('\n')[0]).toBe(`minicoin: error: ${message}`)
    }

    // a wrong token is reported as wrong, not as missing
    const wrong = join(dir, 'wrong-cookie')
    writeFileSync(wrong, 'ab'.repeat(32))
    const denied = await cli('wallet', 'new-address', '--api', miner.info.api, '--cookie', wrong)
    expect(denied.code).toBe(1)
    expect(denied.stderr).toMatch(/wrong token/)
    expect(denied.stderr).not.toMatch(/needs the node's cookie token/)

    // the full node leaves: the miner says so, with the role
    full.proc.signal('SIGTERM')
    await full.proc.exited
    await waitFor(() => messages(miner.proc.output()).includes(`disconnected from full peer ${full.info.peerId}`), 'the miner to log the disconnect', 30_000)
  }, 400_000)
})
