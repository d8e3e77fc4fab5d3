import { describe, expect, it } from 'vitest'
import { NodeMetrics as Metrics } from '../../src/telemetry/metrics.js'

const gauge = (text: string, name: string): string | undefined => text.split('\n').find(l => l.startsWith(name + ' '))?.split(' ')[1]

describe('mempool gauges', () => {
  it('read the pool when scraped, so they are current without being set on every transaction', async () => {
    const metrics = new Metrics()
    const pool = { transactions: 0, bytes: 0 }
    metrics.mempoolSource = () => pool
    expect(gauge(await metrics.registry.metrics(), 'minicoin_mempool_transactions')).toBe('0')
    pool.transactions = 3
    pool.bytes = 612
    const text = await metrics.registry.metrics()
    expect(gauge(text, 'minicoin_mempool_transactions')).toBe('3')
    expect(gauge(text, 'minicoin_mempool_bytes')).toBe('612')
  })

  it('without a pool (an SPV node) keep what was set', async () => {
    const metrics = new Metrics()
    metrics.mempoolTransactions.set(0)
    expect(gauge(await metrics.registry.metrics(), 'minicoin_mempool_transactions')).toBe('0')
  })
})
