// The shipped monitoring files: the alerting rules pass promtool's checks and
// unit tests, the Grafana dashboard is a well-formed dashboard model whose
// every expression reads metrics a node exports, and the README shows the
// Prometheus config that is shipped. (test/e2e/prometheus.test.ts runs them
// all against a real Prometheus scraping real nodes.)
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { NodeMetrics } from '../../src/telemetry/metrics.js'
import { hasPromtool } from '../support/requirements.js'
import {
  asBool, dashboardExpressions, metricNamesOf, PROMETHEUS_CONFIG, readDashboard, ruleExpressions, RULES_FILE, RULES_TEST_FILE, variablesOf
} from '../support/monitoring.js'

const README = new URL('../../README.md', import.meta.url).pathname

function promtool (...args: string[]): { status: number | null, output: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8', cwd: dirname(RULES_FILE) })
  return { status: r.status, output: r.stdout + r.stderr }
}

/** Names a node's /metrics carries (histograms also as _bucket/_sum/_count), libp2p's aside. */
async function exportedNames (): Promise<Set<string>> {
  const names = new Set<string>(['up']) // Prometheus' own, per target
  for (const m of await new NodeMetrics().registry.getMetricsAsJSON()) {
    names.add(m.name)
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s)
  }
  return names
}

describe('alerting rules (contrib/prometheus/minicoin.rules.yml)', () => {
  it.skipIf(!hasPromtool())('pass promtool check rules and promtool check config (needs promtool from Debian prometheus)', () => {
    const rules = promtool('check', 'rules', RULES_FILE)
    expect(rules.status, rules.output).toBe(0)
    const config = promtool('check', 'config', PROMETHEUS_CONFIG)
    expect(config.status, config.output).toBe(0)
  })

  it.skipIf(!hasPromtool())('pass their unit tests: promtool test rules minicoin.rules.test.yml (needs promtool from Debian prometheus)', () => {
    const r = promtool('test', 'rules', RULES_TEST_FILE)
    expect(r.status, r.output).toBe(0)
    expect(r.output).toContain('SUCCESS')
  })

  it('cover the issue\'s alerts, and every alert has a case where it fires and one where it stays quiet', () => {
    const alerts = ruleExpressions().map(r => r.name)
    expect(alerts).toEqual(['MinicoinNodeDown', 'MinicoinNoNewBlock', 'MinicoinNoPeers', 'MinicoinSyncStalled', 'MinicoinMempoolNearlyFull', 'MinicoinPeerBans', 'MinicoinRejectedBlocks', 'MinicoinEventLoopLag'])
    const tests = readFileSync(RULES_TEST_FILE, 'utf8')
    for (const alert of alerts) {
      const cases = [...tests.matchAll(new RegExp(`alertname: ${alert}\\n\\s*exp_alerts:( \\[\\])?`, 'g'))]
      expect(cases.some(c => c[1] === undefined), `${alert} fires somewhere`).toBe(true)
      expect(cases.some(c => c[1] !== undefined), `${alert} stays quiet somewhere`).toBe(true)
    }
  })

  it('have a description and a severity for each alert', () => {
    const text = readFileSync(RULES_FILE, 'utf8')
    const blocks = text.split(/^\s*- alert: /m).slice(1)
    expect(blocks).toHaveLength(8)
    for (const b of blocks) {
      expect(b, b.slice(0, 40)).toMatch(/severity: (critical|warning)/)
      expect(b, b.slice(0, 40)).toMatch(/description: >-\n(\s{12}\S.*\n){3,}/)
    }
  })
})

describe('Grafana dashboard (contrib/grafana/minicoin.json)', () => {
  const d = readDashboard()
  const exprs = dashboardExpressions(d)

  it('is a dashboard model Grafana imports: unique ids, panels on the 24-column grid without overlap, queries with refIds', () => {
    expect(d.uid).toMatch(/^[\w-]{1,40}$/)
    expect(d.title).toBe('minicoin')
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36)
    const ids = d.panels.map(p => p.id)
    expect(new Set(ids).size).toBe(ids.length)
    const cells = new Set<string>()
    for (const p of d.panels) {
      const g = p.gridPos
      expect(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0 && g.y >= 0, `${p.title} ${JSON.stringify(g)}`).toBe(true)
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`).toBe(false)
          cells.add(`${x},${y}`)
        }
      }
      if (p.type === 'row') continue
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' })
      const refIds = (p.targets ?? []).map(t => t.refId)
      expect(refIds.length, p.title).toBeGreaterThan(0)
      expect(new Set(refIds).size, p.title).toBe(refIds.length)
    }
  })

  it('is templated by network and instance, and every query is filtered by the chosen instances', () => {
    const vars = d.templating.list
    expect(vars.map(v => v.name)).toEqual(['datasource', 'network', 'instance'])
    expect(vars[1].definition).toBe('label_values(minicoin_node_info, network)')
    expect(vars[2].definition).toBe('label_values(minicoin_node_info{network=~"$network"}, instance)')
    for (const { name, expr } of exprs) {
      expect(expr, name).toContain('instance=~"$instance"')
      for (const v of variablesOf(expr)) expect(['network', 'instance', '__rate_interval'], `${name}: $${v}`).toContain(v)
    }
  })

  it('shows what the issue lists', () => {
    const all = exprs.map(e => e.expr).join('\n')
    for (const name of ['minicoin_chain_height', 'minicoin_chain_tip_timestamp_seconds', 'minicoin_peers', 'minicoin_mempool_transactions',
      'minicoin_blocks_total', 'minicoin_transactions_total', 'minicoin_gossip_messages_total', 'minicoin_block_validation_seconds_bucket',
      'minicoin_tx_validation_seconds_bucket', 'minicoin_block_propagation_seconds_bucket', 'minicoin_sync_progress_ratio', 'minicoin_hash_rate',
      'minicoin_difficulty', 'minicoin_rpc_requests_total', 'minicoin_peer_penalties_total', 'minicoin_peers_banned_total',
      'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds']) expect(all).toContain(name)
  })
})

describe('the metrics the dashboard and the rules read', () => {
  it('are all exported by a node (libp2p_* are checked against live nodes in test/e2e/prometheus.test.ts)', async () => {
    const names = await exportedNames()
    const used = [...dashboardExpressions(), ...ruleExpressions()]
    for (const { name, expr } of used) {
      const read = metricNamesOf(expr)
      expect(read.length, `${name}: ${expr}`).toBeGreaterThan(0)
      for (const metric of read) if (!metric.startsWith('libp2p_')) expect(names.has(metric), `${name} reads ${metric}, which no node exports`).toBe(true)
    }
  })

  it('asBool keeps every series of an alert condition (what the end-to-end test queries)', () => {
    expect(asBool('up{job="minicoin"} == 0')).toBe('up{job="minicoin"} == bool 0')
    expect(asBool('a > b and changes(c[10m]) == 0')).toBe('a > bool b and changes(c[10m]) == bool 0')
    expect(asBool('x{result!="ok"} >= 2')).toBe('x{result!="ok"} >= bool 2')
  })
})

describe('README metrics section', () => {
  const readme = readFileSync(README, 'utf8')
  it('shows the shipped Prometheus config verbatim and points to the rules and the dashboard', () => {
    const section = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('\n## ', readme.indexOf('## Metrics') + 1))
    expect(section).toContain('```yaml\n' + readFileSync(PROMETHEUS_CONFIG, 'utf8') + '```')
    expect(section).toContain('contrib/prometheus/minicoin.rules.yml')
    expect(section).toContain('contrib/grafana/minicoin.json')
    for (const m of ['process_resident_memory_bytes', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_gc_duration_seconds',
      'minicoin_node_info', 'minicoin_chain_tip_timestamp_seconds', 'minicoin_target_block_time_seconds', 'minicoin_mempool_max_bytes']) expect(section).toContain(m)
  })
})
