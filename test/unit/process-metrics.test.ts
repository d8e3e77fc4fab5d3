// /metrics carries prom-client's default process and Node.js metrics next to
// the node's own, however many nodes a process runs (tests start several),
// and libp2p's metrics share the same registry without clearing them.
import { describe, expect, it } from 'vitest'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { NodeMetrics, processMetrics } from '../../src/telemetry/metrics.js'

// what the README's metrics section promises an operator
const PROCESS_METRICS = [
  'process_resident_memory_bytes', 'process_cpu_seconds_total', 'process_start_time_seconds', 'process_open_fds',
  'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes',
  'nodejs_external_memory_bytes', 'nodejs_gc_duration_seconds', 'nodejs_version_info'
]

function sampleOf (text: string, name: string): number {
  const line = text.split('\n').find(l => l.startsWith(name + ' '))
  if (line === undefined) throw new Error(`no unlabelled sample of ${name}`)
  return Number(line.slice(name.length + 1))
}

describe('process metrics', () => {
  it('every node registry exposes the default process and Node.js metrics', async () => {
    const a = new NodeMetrics()
    const b = new NodeMetrics({ network: 'devnet', role: 'full', targetBlockTime: 5 })
    for (const m of [a, b]) {
      const text = await m.registry.metrics()
      for (const name of PROCESS_METRICS) expect(text, name).toContain(`# TYPE ${name} `)
      expect(sampleOf(text, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000)
      expect(sampleOf(text, 'process_cpu_seconds_total')).toBeGreaterThan(0)
    }
  })

  it('creates the default collectors once per process, however many nodes it starts', () => {
    const shared = processMetrics()
    const before = shared.getMetricsAsArray().length
    for (let i = 0; i < 50; i++) new NodeMetrics() // eslint-disable-line no-new
    expect(processMetrics()).toBe(shared)
    expect(shared.getMetricsAsArray().length).toBe(before)
  })

  it("libp2p's prometheus metrics on a node registry keep the process metrics and the node's own", async () => {
    const m = new NodeMetrics()
    // the options src/p2p/host.ts gives libp2p (a silent logger stands in for libp2p's)
    const silent = Object.assign(() => {}, { enabled: false, error: () => {}, trace: () => {} })
    const libp2pMetrics = prometheusMetrics({ registry: m.registry, preserveExistingMetrics: true, collectDefaultMetrics: false })({ logger: { forComponent: () => silent } as never })
    libp2pMetrics.registerMetric('libp2p_test_dials_total').increment()
    const text = await m.registry.metrics()
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge')
    expect(text).toContain('# TYPE minicoin_chain_height gauge')
    expect(text).toMatch(/^libp2p_test_dials_total 1$/m)
  })

  it('names the network, role and version, the target block time and the tip time', async () => {
    const m = new NodeMetrics({ network: 'testnet', role: 'miner', targetBlockTime: 60 })
    m.setTip(7, 1_800_000_000, 123.5)
    const text = await m.registry.metrics()
    expect(text).toMatch(/^minicoin_node_info\{network="testnet",role="miner",version="\d+\.\d+\.\d+[^"]*"\} 1$/m)
    expect(sampleOf(text, 'minicoin_target_block_time_seconds')).toBe(60)
    expect(sampleOf(text, 'minicoin_chain_height')).toBe(7)
    expect(sampleOf(text, 'minicoin_chain_tip_timestamp_seconds')).toBe(1_800_000_000)
    expect(sampleOf(text, 'minicoin_difficulty')).toBe(123.5)
  })
})
