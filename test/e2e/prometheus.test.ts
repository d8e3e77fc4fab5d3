// The shipped monitoring against the real server: three real daemons (miner,
// full, SPV; regtest on loopback, no mDNS) scraped by Debian's `prometheus`
// with the README's config (contrib/prometheus/prometheus.yml, only its
// targets replaced by the daemons' ephemeral API ports) and the shipped rules. Over
// Prometheus' HTTP API: every target is up, minicoin_chain_height rises on
// every node, every rule evaluates healthily over real series, and every
// expression of the Grafana dashboard returns data.
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { Cleanup } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import { dialAddress, startDaemon, type Daemon } from '../../bench/support/daemons.js'
import type { StatusView, WalletView } from '../../src/node/node-api.js'
import { available } from '../support/requirements.js'
import { asBool, dashboardExpressions, PROMETHEUS_CONFIG, ruleExpressions, RULES_FILE, substitute } from '../support/monitoring.js'

const PROMETHEUS = '/usr/bin/prometheus'
const hasPrometheus = (): boolean => available(`${PROMETHEUS} (Debian package prometheus)`, spawnSync(PROMETHEUS, ['--version']).status === 0)

/**
 * Dashboard queries that legitimately return no series in a short, healthy
 * run, and why. They must still evaluate without error; the list is checked
 * against the dashboard, so it cannot go stale.
 */
const MAY_BE_EMPTY: Record<string, string> = {
  'panel "Penalties and bans" A': 'minicoin_peer_penalties_total{reason} has a series per reason, created by the first penalty; well-behaved peers earn none'
}

const cleanup = new Cleanup()
afterAll(async () => { await cleanup.run() })

interface Sample { metric: Record<string, string>, value: [number, string] }
interface QueryReply { status: string, error?: string, data?: { resultType: string, result: Sample[] } }

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
  })
}

/** Runs prometheus in its own process group; the cleanup stops it by PID (SIGTERM, then SIGKILL). */
function startPrometheus (args: string[]): { output: () => string, exited: Promise<number | null> } {
  const child = spawn(PROMETHEUS, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => { out = (out + c.toString()).slice(-20_000) })
  child.stderr.on('data', (c: Buffer) => { out = (out + c.toString()).slice(-20_000) })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  cleanup.add(async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
    const signal = (sig: NodeJS.Signals): void => { try { process.kill(-child.pid!, sig) } catch { /* already gone */ } }
    signal('SIGTERM')
    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>(resolve => setTimeout(() => resolve(false), 15_000).unref())])
    if (!stopped) signal('SIGKILL')
    await exited
  })
  return { output: () => out, exited }
}

describe.skipIf(!hasPrometheus())('a real Prometheus scraping three daemons (needs prometheus from Debian)', () => {
  it('scrapes every node, sees the chain grow, evaluates every rule and every dashboard query over real data', async () => {
    // a miner, a full node and an SPV node on loopback (regtest, mDNS off), the
    // two others bootstrapped from the miner; regtest mines in bursts on request
    const miner = await startDaemon(cleanup, 'miner')
    const boot = { p2p: { host: '127.0.0.1', port: 0, bootstrap: [dialAddress(miner)], mdns: false } }
    const nodes: Record<string, Daemon> = { miner, full: await startDaemon(cleanup, 'full', [], boot), spv: await startDaemon(cleanup, 'spv', [], boot) }
    const targets = Object.values(nodes).map(n => new URL(n.info.api).host)
    const instanceOf = (role: string): string => new URL(nodes[role].info.api).host
    const mine = async (blocks: number): Promise<void> => {
      const start = (await miner.api.get<StatusView>('/api/status')).height
      await miner.api.post('/api/mining', { enabled: true })
      await waitFor(async () => (await miner.api.get<StatusView>('/api/status')).height >= start + blocks, `${blocks} blocks`, 60_000, 50)
      await miner.api.post('/api/mining', { enabled: false })
    }

    // the README's config with the daemons' targets, next to the shipped rules
    const dir = cleanup.tempDir()
    const shipped = readFileSync(PROMETHEUS_CONFIG, 'utf8')
    const targetsLine = /^(\s*- targets: )\[.*\]$/m
    expect(shipped).toMatch(targetsLine)
    const config = shipped.replace(targetsLine, `$1[${targets.map(t => `'${t}'`).join(', ')}]`)
    expect(config.split('\n').filter((l, i) => l !== shipped.split('\n')[i])).toHaveLength(1)
    writeFileSync(join(dir, 'prometheus.yml'), config)
    copyFileSync(RULES_FILE, join(dir, 'minicoin.rules.yml'))
    const port = await freePort()
    const prometheus = startPrometheus([
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'
    ])
    const api = `http://127.0.0.1:${port}`
    const startedAt = Date.now()
    const phase = (what: string): void => { console.log(`prometheus e2e: ${what} after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`) }
    let exitCode: number | null | undefined
    void prometheus.exited.then(code => { exitCode = code })
    await waitFor(async () => {
      if (exitCode !== undefined) throw new Error(`prometheus exited (${exitCode}):\n${prometheus.output()}`)
      return await fetch(`${api}/-/ready`).then(r => r.ok, () => false)
    }, 'prometheus to be ready', 60_000, 200)

    const query = async (promql: string): Promise<Sample[]> => {
      const reply = await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`)).json() as QueryReply
      if (reply.status !== 'success') throw new Error(`${promql}: ${reply.error ?? reply.status}`)
      return reply.data!.result
    }
    const byInstance = (samples: Sample[]): Record<string, number> => Object.fromEntries(samples.map(s => [s.metric.instance, Number(s.value[1])]))

    // every target up
    await waitFor(async () => {
      const up = byInstance(await query('up{job="minicoin"}'))
      return targets.every(t => up[t] === 1) && Object.keys(up).length === targets.length
    }, 'every node to be scraped with up == 1', 60_000, 500)

    // minicoin_chain_height rising on every node, as Prometheus saw it
    const first = byInstance(await query('minicoin_chain_height'))
    expect(Object.keys(first).sort()).toEqual([...targets].sort())
    await mine(5)
    await waitFor(async () => {
      const now = byInstance(await query('minicoin_chain_height'))
      return targets.every(t => now[t] > first[t])
    }, 'minicoin_chain_height to rise on every node', 240_000, 1000)
    phase('every node up and its height rising')
    // the network the nodes report themselves (the dashboard's network variable)
    const info = await query('minicoin_node_info')
    expect(info.map(s => [s.metric.instance, s.metric.network, s.metric.role]).sort()).toEqual(
      ['miner', 'full', 'spv'].map(r => [instanceOf(r), 'regtest', r]).sort())

    // a payment, so transaction and SPV proof series carry data too: the full
    // node validates it from gossip before a block confirms it, and the SPV
    // node proves it
    await waitFor(async () => {
      if (BigInt((await miner.api.get<WalletView>('/api/wallet')).balance.confirmed) > 0n) return true
      await mine(2)
      return false
    }, 'mature coins in the miner wallet', 120_000)
    phase('mature coins')
    const spvAddress = (await nodes.spv.api.get<WalletView>('/api/wallet')).addresses[0]
    await miner.api.post('/api/wallet/send', { to: spvAddress, amount: '2500000', fee: '1000' })
    await waitFor(async () => byInstance(await query('sum by (instance) (minicoin_transactions_total{result="accepted"})'))[instanceOf('full')] > 0,
      'Prometheus to see the full node accept the payment from gossip', 60_000, 500)
    await mine(2)
    await waitFor(async () => byInstance(await query('minicoin_spv_proofs_verified_total'))[instanceOf('spv')] > 0,
      'Prometheus to see the SPV node prove the payment', 120_000, 500)
    phase('payment proven')
    // one more scrape of every node, so every rate window holds samples after the payment
    const scrapedAt = Date.now() / 1000
    await waitFor(async () => {
      const last = await query('timestamp(up{job="minicoin"})')
      return last.length === targets.length && last.every(s => Number(s.value[1]) > scrapedAt)
    }, 'another scrape of every node', 60_000, 500)

    // every rule: evaluated by the server without error, over series of every node
    const rules = ruleExpressions()
    const loaded = await waitFor(async () => {
      const reply = await (await fetch(`${api}/api/v1/rules`)).json() as { data: { groups: Array<{ rules: Array<{ name: string, query: string, health: string, lastError?: string, state?: string }> }> } }
      const all = reply.data.groups.flatMap(g => g.rules)
      return all.length === rules.length && all.every(r => r.health !== 'unknown') ? all : undefined
    }, 'prometheus to evaluate every rule', 60_000, 500)
    for (const rule of loaded) {
      expect(rule.health, `${rule.name}: ${rule.lastError ?? ''}`).toBe('ok')
      await query(rule.query) // the condition itself: no error (and, on healthy nodes, usually no series)
      const evaluated = await query(asBool(rule.query))
      expect(evaluated.length, `${rule.name}: ${asBool(rule.query)} has no series`).toBeGreaterThan(0)
      expect(evaluated.every(s => ['0', '1'].includes(s.value[1])), `${rule.name}: ${JSON.stringify(evaluated)}`).toBe(true)
    }
    expect(loaded.map(r => r.name).sort()).toEqual(rules.map(r => r.name).sort())
    // healthy nodes raise no alert (but MinicoinNoNewBlock: regtest mines only
    // in the bursts above, so its tip soon ages beyond 20 × its 1 s target)
    const firing = await query('ALERTS{alertstate="firing",alertname!="MinicoinNoNewBlock"}')
    expect(firing.map(s => s.metric.alertname + ' ' + s.metric.instance)).toEqual([])

    // every dashboard query, with Grafana's substitutions: all three nodes, and a rate window spanning the whole run
    const exprs = dashboardExpressions()
    for (const name of Object.keys(MAY_BE_EMPTY)) expect(exprs.map(e => e.name), `MAY_BE_EMPTY lists ${name}`).toContain(name)
    const vars = { network: 'regtest', instance: targets.join('|'), rateInterval: `${Math.ceil((Date.now() - startedAt) / 1000) + 10}s` }
    const empty: string[] = []
    for (const { name, expr } of exprs) {
      const promql = substitute(expr, vars)
      const samples = await query(promql)
      const finite = samples.filter(s => Number.isFinite(Number(s.value[1])))
      if (finite.length === 0) {
        if (MAY_BE_EMPTY[name] !== undefined) { empty.push(name); continue }
        throw new Error(`${name}: ${promql} returned no finite sample: ${JSON.stringify(samples)}`)
      }
    }
    // the queries allowed to be empty were evaluated like the others; say which were
    console.log(`dashboard: ${exprs.length} queries evaluated; without data, as expected in a short healthy run: ${empty.map(n => `${n} (${MAY_BE_EMPTY[n]})`).join('; ') || 'none'}`)
  }, 900_000)
})
