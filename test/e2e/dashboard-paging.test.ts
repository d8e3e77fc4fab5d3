// The dashboard on the paged API (issue 16.8, 10.7): the chart asks for
// headers only, a block's transactions and an address's history come a
// page at a time behind a "more" button.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import type { AddressHistoryPage, BlockView, TxView, WalletTxView } from '../../src/node/node-api.js'
import { fakeAddress, fakeHash } from '../support/fake-node.js'
import { chromiumAvailable, launchBrowser, openPage, type WatchedPage } from './helpers/browser.js'
import { startFakeDashboard, type FakeDashboardServer } from './helpers/dashboard-fake.js'

describe.skipIf(!chromiumAvailable())('dashboard paging (needs /usr/bin/chromium)', () => {
  let browser: Browser
  let full: FakeDashboardServer
  let page: WatchedPage | undefined
  const payee = fakeAddress(2)
  const history: WalletTxView[] = Array.from({ length: 7 }, (_, i) => ({ txid: fakeHash(500 + i, 'cd'), delta: String(1000 * (i + 1)), height: 12 - i, confirmations: i + 1 }))

  beforeAll(async () => {
    full = await startFakeDashboard({ role: 'full' })
    const node = full.node
    // block 7 holds 5 transactions (its first two, whatever the fixture has, and three more); the node answers a first page of 2
    const block = node.chain[7]
    const extra: TxView[] = [2, 3, 4].map(i => ({ ...block.transactions![1], txid: fakeHash(700 + i, 'cd'), block: { hash: block.hash, height: 7, index: i } }))
    block.transactions = [...block.transactions!.slice(0, 2), ...extra]
    block.txCount = 5
    const firstPage = node.block.bind(node)
    node.block = (id: string): BlockView | undefined => {
      const b = firstPage(id)
      return b === undefined || b.txCount <= 2 ? b : { ...b, transactions: b.transactions?.slice(0, 2), nextTxOffset: 2 }
    }
    // an address history of 7 entries in pages of 3
    node.addressHistory = async (address: string, cursor: string | undefined): Promise<AddressHistoryPage> => {
      node.calls.push({ method: 'addressHistory', args: [address, cursor] })
      const start = cursor === undefined ? 0 : history.findIndex(t => `${t.height!}-${t.txid}` === cursor) + 1
      const items = history.slice(start, start + 3)
      const last = items.at(-1)
      return start + 3 < history.length && last !== undefined ? { address, transactions: items, next: `${last.height!}-${last.txid}` } : { address, transactions: items }
    }
    browser = await launchBrowser()
  })

  afterAll(async () => {
    await page?.close().catch(() => {})
    await browser?.close()
    await full?.close()
  })

  it('the chart reads headers, never block bodies', async () => {
    page = await openPage(browser, `${full.url}/`)
    await expect.poll(async () => await page!.page.getByTestId('live').getAttribute('data-state'), { timeout: 15_000 }).toBe('live')
    await expect.poll(() => full.node.callsOf('headerList').length).toBeGreaterThan(0)
    expect(full.node.callsOf('headerList')[0]).toEqual([undefined, 100])
    // the block list asks for a few summaries only
    for (const [, limit] of full.node.callsOf('blocks')) expect(limit).toBeLessThanOrEqual(20)
  })

  it('loads a block\'s transactions page by page', async () => {
    const p = page!.page
    await p.goto(`${full.url}/#/block/${full.node.chain[7].hash}`)
    const detail = p.getByTestId('detail')
    await expect.poll(async () => await detail.locator('h2').textContent(), { timeout: 10_000 }).toBe('Block #7')
    const rows = detail.locator('.tx-rows li')
    expect(await rows.count()).toBe(2)
    expect(await detail.textContent()).toContain('Transactions (5)')
    await detail.getByTestId('load-more').click()
    await expect.poll(async () => await rows.count()).toBe(5)
    expect(await detail.getByTestId('load-more').count()).toBe(0)
    expect(await rows.last().textContent()).toContain(fakeHash(704, 'cd'))
    expect(full.node.callsOf('blockTxs').at(-1)).toEqual([full.node.chain[7].hash, 2, 25])
  })

  it('loads an address\'s older history on request', async () => {
    const p = page!.page
    await p.goto(`${full.url}/#/address/${payee}`)
    const detail = p.getByTestId('detail')
    await expect.poll(async () => await detail.locator('h2').textContent(), { timeout: 10_000 }).toBe('Address')
    const rows = detail.locator('.activity li')
    await expect.poll(async () => await rows.count()).toBe(3)
    const more = detail.getByTestId('load-more')
    await more.click()
    await expect.poll(async () => await rows.count()).toBe(6)
    await more.click()
    await expect.poll(async () => await rows.count()).toBe(7)
    expect(await detail.getByTestId('load-more').count()).toBe(0)
    expect(await detail.textContent()).toContain(history[6].txid)
  })
})
