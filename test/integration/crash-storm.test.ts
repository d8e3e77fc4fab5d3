// Crash storm (issue 10): a full node daemon syncing a few hundred regtest
// blocks with transactions from a miner is killed with SIGKILL at random
// moments 20 times and restarted each time. Every restart must open its data
// dir, and at the end the node holds exactly the miner's tip, UTXO set and
// address history.
//
// Kill moments: a random delay after the chain opened (startup: wallet, p2p,
// the first sync round) or the moment the node has connected a random number
// of new blocks (mid-sync). While the node is down the miner moves on (a burst
// of blocks with payments), so every restart has blocks to sync.
// MINICOIN_STORM_SEED=<n> replays the same kill schedule.
//
// Known bug this storm can hit: issue 10.2 (a header batch is not atomic; a
// restart then fails in load() with "TypeError: Cannot read properties of
// undefined (reading 'height')"). Its fix is another helper's; if this test
// fails that way, that is the bug, not the test.
import { afterAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { Chain } from '../../src/chain/chain.js'
import { toHex } from '../../src/core/bytes.js'
import { regtest } from '../../src/core/params.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import type { StatusView, WalletTxView } from '../../src/node/node-api.js'
import { encodeAddress } from '../../src/wallet/address.js'
import { newKey } from '../../bench/support/chain-fixtures.js'
import { dialAddress, readyDaemon, run, startDaemon, writeConfig, type Daemon, type Proc } from '../../bench/support/daemons.js'
import { Cleanup } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'

const KILLS = 20
const INITIAL_BLOCKS = 100
const BLOCKS_PER_ROUND = 12

/** mulberry32: a small seeded PRNG so a failing schedule can be replayed. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SEED = process.env.MINICOIN_STORM_SEED !== undefined ? Number(process.env.MINICOIN_STORM_SEED) : Math.floor(Math.random() * 2 ** 31)

const cleanup = new Cleanup()
afterAll(async () => { await cleanup.run() })

async function status (d: Daemon): Promise<StatusView> {
  return await d.api.get<StatusView>('/api/status')
}

/** UTXO set of a stopped daemon's chain database, as comparable strings. */
async function utxoOf (dataDir: string): Promise<{ tip: string, height: number, coins: string[] }> {
  const chain = await Chain.open({ location: join(dataDir, 'chain'), params: regtest, verifier: new NobleVerifier() })
  try {
    const coins: string[] = []
    for await (const c of chain.coins()) coins.push(`${toHex(c.txid)}:${c.index}=${c.coin.amount}@${toHex(c.coin.address)}/${c.coin.height}/${c.coin.coinbase ? 'cb' : 'tx'}`)
    return { tip: chain.tip.hashHex, height: chain.height, coins: coins.sort() }
  } finally {
    await chain.close()
  }
}

async function stop (proc: Proc): Promise<void> {
  proc.signal('SIGTERM')
  const exit = await proc.exited
  expect(exit.code, `daemon did not stop cleanly:\n${proc.output().slice(-3000)}`).toBe(0)
}

describe('crash storm', () => {
  it(`a full node killed ${KILLS} times while syncing ends with the miner's tip, UTXO set and address history (seed ${SEED})`, async () => {
    const random = prng(SEED) // the kill schedule
    const payRandom = prng(SEED ^ 0x5eed) // payments (mining runs concurrently with the schedule)
    const miner = await startDaemon(cleanup, 'miner')
    const payees = [
      ...await Promise.all([0, 1, 2].map(async () => (await miner.api.post<{ address: string }>('/api/wallet/address')).address)),
      encodeAddress(newKey().address, regtest),
      encodeAddress(newKey().address, regtest)
    ]
    let sent = 0

    /** A burst of about `n` blocks, with a few payments confirmed in it. */
    const mine = async (n: number): Promise<void> => {
      const start = (await status(miner)).height
      if (start > regtest.coinbaseMaturity + 1) {
        for (let i = 0; i < 3; i++) {
          const to = payees[Math.floor(payRandom() * payees.length)]
          await miner.api.post('/api/wallet/send', { to, amount: String(1_000_000 + Math.floor(payRandom() * 1_000_000_000)), fee: '1000' })
          sent++
        }
      }
      await miner.api.post('/api/mining', { enabled: true })
      await waitFor(async () => (await status(miner)).height >= start + n, `${n} blocks on the miner`, 120_000)
      await miner.api.post('/api/mining', { enabled: false })
    }

    for (let mined = 0; mined < INITIAL_BLOCKS; mined += 10) await mine(10)

    const dir = cleanup.tempDir()
    const config = writeConfig(dir, 'full', { p2p: { host: '127.0.0.1', port: 0, bootstrap: [dialAddress(miner)], mdns: false } })
    const dataDir = join(dir, 'data')
    const kills: string[] = []

    // the miner's burst of the previous round runs while the node restarts
    let burst: Promise<void> = Promise.resolve()
    for (let round = 0; round < KILLS; round++) {
      const proc = run(['node', '--config', config], cleanup)
      const where = `round ${round + 1}/${KILLS} (seed ${SEED}; kills so far: ${kills.join(', ') || 'none'})`
      // every restart opens its data dir
      await waitFor(() => {
        if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`the full node exited before opening its chain, ${where}:\n${proc.output().slice(-4000)}`)
        return proc.output().includes('"msg":"chain opened"')
      }, `the full node to open its chain, ${where}`, 120_000)
      if (random() < 0.4) {
        // somewhere in startup or the first sync round
        const ms = Math.floor(random() * 1500)
        await new Promise(resolve => setTimeout(resolve, ms))
        kills.push(`${ms}ms after open`)
      } else {
        // mid-sync: once it has connected a random number of new blocks
        const node = await readyDaemon(proc, dataDir, 120_000)
        await burst
        const from = (await status(node)).height
        const target = Math.min(from + 1 + Math.floor(random() * 40), (await status(miner)).height)
        await waitFor(async () => (await status(node)).height >= target, `the full node to reach height ${target}, ${where}`, 120_000)
          .catch(err => { throw new Error(`${(err as Error).message}\n${proc.output().slice(-4000)}`) })
        kills.push(`at height ${target}`)
      }
      proc.signal('SIGKILL')
      const exit = await proc.exited
      // it may have died by itself: that would be a failure to keep running
      expect(exit.signal, `the full node was not running when killed, ${where}:\n${proc.output().slice(-4000)}`).toBe('SIGKILL')
      // the network moves on while the node is down (and restarts)
      await burst
      burst = mine(BLOCKS_PER_ROUND)
      burst.catch(() => {}) // awaited (and thrown) above; this only keeps it from counting as unhandled meanwhile
    }
    await burst

    // the schedule, for the record (replay with MINICOIN_STORM_SEED)
    console.log(`crash storm seed ${SEED}: ${kills.length} kills (${kills.join(', ')})`)
    // confirm every payment, then let the node catch up for good
    await mine(2)
    await waitFor(async () => (await status(miner)).mempool === 0, 'the miner to confirm every payment', 60_000)
    const full = await readyDaemon(run(['node', '--config', config], cleanup), dataDir, 120_000)
    const tip = (await status(miner)).tip
    let last = ''
    await waitFor(async () => {
      const f = await status(full)
      last = JSON.stringify(f)
      return f.tip === tip && !f.syncing
    }, 'the full node to reach the miner\'s tip', 120_000).catch(err => { throw new Error(`${(err as Error).message} (seed ${SEED}, kills ${kills.join(', ')}): ${last}\n${full.proc.output().slice(-4000)}`) })

    const minerHeight = (await status(miner)).height
    expect(minerHeight).toBeGreaterThanOrEqual(INITIAL_BLOCKS + KILLS * BLOCKS_PER_ROUND)
    expect(sent).toBeGreaterThan(KILLS * 3)
    // the same address history for every address that was paid, and the miner's own
    const minerWallet = await miner.api.get<{ addresses: string[] }>('/api/wallet')
    let items = 0
    for (const a of new Set([...payees, ...minerWallet.addresses])) {
      const [m, f] = await Promise.all([miner, full].map(async d => await d.api.get<{ transactions: WalletTxView[] }>(`/api/address/${a}`)))
      expect(f.transactions, `history of ${a}`).toEqual(m.transactions)
      items += m.transactions.length
    }
    expect(items).toBeGreaterThan(sent)
    // and the same UTXO set, read from both databases once the daemons have stopped
    await stop(full.proc)
    await stop(miner.proc)
    const [m, f] = await Promise.all([utxoOf(miner.dataDir), utxoOf(dataDir)])
    expect(f.tip).toBe(tip)
    expect(f.height).toBe(m.height)
    expect(f.coins).toEqual(m.coins)
    expect(f.coins.length).toBeGreaterThan(minerHeight)
  }, 900_000)
})
