// The dashboard's behaviour in a real browser against the real API server
// over fake nodes (test/e2e/helpers/dashboard-fake.ts): fast and exact where
// the devnet test is slow and approximate. Live updates and the fallback
// poll, the send form's checks, the token's handling, untrusted text,
// search and detail views, the block tree with side branches and the SPV
// proofs (and a tampered one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { testnet } from '../../src/core/params.js'
import { ApiError } from '../../src/api/api-error.js'
import { fakeAddress } from '../support/fake-node.js'
import { chromiumAvailable, launchBrowser, openPage, screenshot, type WatchedPage } from './helpers/browser.js'
import { startFakeDashboard, type FakeDashboardServer } from './helpers/dashboard-fake.js'

describe.skipIf(!chromiumAvailable())('dashboard UI over a fake node (needs /usr/bin/chromium)', () => {
  let browser: Browser
  let miner: FakeDashboardServer
  let spv: FakeDashboardServer
  let full: FakeDashboardServer
  const pages: WatchedPage[] = []

  async function open (server: FakeDashboardServer, viewport?: { width: number, height: number }, allow: RegExp[] = []): Promise<WatchedPage> {
    const p = await openPage(browser, `${server.url}/`, viewport, allow)
    pages.push(p)
    await expect.poll(async () => await p.page.getByTestId('live').getAttribute('data-state'), { timeout: 15_000 }).toBe('live')
    return p
  }

  beforeAll(async () => {
    ;[miner, full, spv] = await Promise.all([startFakeDashboard({ role: 'miner' }), startFakeDashboard({ role: 'full' }), startFakeDashboard({ role: 'spv' })])
    browser = await launchBrowser()
  })

  afterAll(async () => {
    for (const p of pages) await p.close().catch(() => {})
    await browser?.close()
    await Promise.all([miner, full, spv].filter(s => s !== undefined).map(async s => await s.close()))
  })

  it('shows each role its own panels', async () => {
    const m = await open(miner)
    expect(await m.page.getByTestId('role').textContent()).toBe('miner')
    expect(await m.page.getByTestId('mining').isVisible()).toBe(true)
    expect(await m.page.getByTestId('proofs').isVisible()).toBe(false)
    expect(await m.page.getByTestId('height').textContent()).toBe(String(miner.node.tip.height))
    expect(await m.page.getByTestId('peers').textContent()).toBe('2')
    expect(await m.page.getByTestId('hash-rate').textContent()).toMatch(/MH\/s/)
    const f = await open(full)
    expect(await f.page.getByTestId('mining').isVisible()).toBe(false)
    expect(await f.page.getByTestId('block-list').locator('li[data-height]').count()).toBe(10)
    const s = await open(spv)
    expect(await s.page.getByTestId('proofs').isVisible()).toBe(true)
    expect(await s.page.locator('#blocks-title').textContent()).toBe('Header chain')
    for (const p of [m, f, s]) expect(p.problems).toEqual([])
  })

  it('follows the node live: blocks, mempool arrivals and departures, without a reload', async () => {
    const { page, problems } = await open(miner)
    await page.evaluate(() => { (globalThis as any).marker = 1 })
    const tx = miner.node.addMempoolTx()
    await page.getByTestId('mempool').locator(`li[data-txid="${tx.txid}"]`).waitFor({ timeout: 5000 })
    const block = miner.node.mine()
    await expect.poll(async () => await page.getByTestId('height').textContent(), { timeout: 5000 }).toBe(String(block.height))
    await expect.poll(async () => await page.getByTestId('mempool').locator(`li[data-txid="${tx.txid}"]`).count(), { timeout: 5000 }).toBe(0)
    await expect.poll(async () => await page.getByTestId('block-list').locator('li[data-height]').first().getAttribute('data-height'), { timeout: 5000 }).toBe(String(block.height))
    expect(await page.evaluate(() => (globalThis as any).marker)).toBe(1)
    expect(problems).toEqual([])
  })

  it('falls back to polling when the event stream is down', async () => {
    const p = await openPage(browser, 'about:blank')
    pages.push(p)
    await p.page.route('**/api/events', async route => await route.abort())
    await p.page.goto(`${miner.url}/`)
    await expect.poll(async () => await p.page.getByTestId('live').getAttribute('data-state'), { timeout: 10_000 }).not.toBe('live')
    await expect.poll(async () => await p.page.getByTestId('height').textContent(), { timeout: 10_000 }).toBe(String(miner.node.tip.height))
    const block = miner.node.mine()
    await expect.poll(async () => await p.page.getByTestId('height').textContent(), { timeout: 12_000 }).toBe(String(block.height))
    // the stream comes back: live again
    await p.page.unroute('**/api/events')
    await expect.poll(async () => await p.page.getByTestId('live').getAttribute('data-state'), { timeout: 25_000 }).toBe('live')
    // the aborted stream requests themselves are expected
    expect(p.problems.filter(x => !x.includes('/api/events') && !x.includes('net::ERR_FAILED'))).toEqual([])
  })

  it('renders what peers send as text, never as markup', async () => {
    const { page, problems } = await open(full)
    const evil = '<img src=x onerror="window.pwned=1">'
    const tx = full.node.addMempoolTx()
    const shown = { ...tx, txid: 'ee'.repeat(32), outputs: [{ address: evil, amount: '1' }] }
    full.node.pool.push(shown)
    full.node.events.emit('tx', shown)
    const row = page.getByTestId('mempool').locator(`li[data-txid="${shown.txid}"]`)
    await row.waitFor({ timeout: 5000 })
    await page.goto(`${full.url}/#/tx/${shown.txid}`)
    await expect.poll(async () => await page.getByTestId('detail').textContent(), { timeout: 5000 }).toContain(evil)
    expect(await page.locator('img').count()).toBe(0)
    expect(await page.evaluate(() => (globalThis as any).pwned)).toBeUndefined()
    expect(problems).toEqual([])
  })

  it('checks the address and amount in the browser, then sends with the pasted token', async () => {
    const { page, context, problems } = await open(miner, undefined, [/^POST \/api\/wallet\/send 400$/, /^POST \/api\/mining 401$/])
    const sendsBefore = miner.node.callsOf('send').length
    const to = fakeAddress(77)
    const submit = async (addr: string, amount: string, fee = ''): Promise<void> => {
      await page.getByTestId('send-to').fill(addr)
      await page.getByTestId('send-amount').fill(amount)
      await page.getByTestId('send-fee').fill(fee)
      await page.getByTestId('send-submit').click()
    }
    await submit(to.slice(0, -2) + (to.endsWith('qq') ? 'pp' : 'qq'), '1')
    await expect.poll(async () => await page.getByTestId('send-to-error').textContent()).toMatch(/checksum/)
    await submit(fakeAddress(77, testnet), '1')
    await expect.poll(async () => await page.getByTestId('send-to-error').textContent()).toMatch(/testnet/)
    await submit(to, '1.123456789')
    await expect.poll(async () => await page.getByTestId('send-amount-error').textContent()).toMatch(/8 decimal/)
    expect(await page.getByTestId('send-to-error').textContent()).toBe('')
    await submit(to, '0')
    await expect.poll(async () => await page.getByTestId('send-amount-error').textContent()).toMatch(/more than zero/)
    await submit(to, '51')
    await expect.poll(async () => await page.getByTestId('send-amount-error').textContent()).toMatch(/more than this wallet can spend/)
    await submit(to, '1', 'abc')
    await expect.poll(async () => await page.getByTestId('send-fee-error').textContent()).toMatch(/not an amount/)
    expect(await page.getByTestId('token-dialog').isVisible()).toBe(false)
    expect(miner.node.callsOf('send').length).toBe(sendsBefore)

    // a valid payment asks for the token first; a wrong one is refused
    await submit(to, '1.5', '0.0001')
    const dialog = page.getByTestId('token-dialog')
    await dialog.waitFor()
    await page.getByTestId('token-input').fill('ab'.repeat(32))
    await page.getByTestId('token-save').click()
    await expect.poll(async () => await page.getByTestId('token-error').textContent()).toMatch(/refused/)
    await page.getByTestId('token-input').fill(miner.token)
    await page.getByTestId('token-save').click()
    const txid = await page.getByTestId('send-txid').textContent({ timeout: 5000 })
    expect(txid).toMatch(/^[0-9a-f]{64}$/)
    expect(miner.node.callsOf('send').slice(-1)[0]).toEqual([to, 150000000n, 10000n])
    await page.getByTestId('mempool').locator(`li[data-txid="${txid}"]`).waitFor({ timeout: 5000 })

    // where the token lives: this tab's sessionStorage only
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('minicoin.apiToken'))).toBe(miner.token)
    expect(await page.evaluate(() => JSON.stringify((globalThis as any).localStorage))).not.toContain(miner.token)
    expect(JSON.stringify(await context.cookies())).not.toContain(miner.token)
    expect(page.url()).not.toContain(miner.token)

    // the node's own refusal is shown as it says it
    miner.node.failNext.send = new ApiError(400, 'insufficient-funds', 'insufficient funds: 5000000000 available, 9999999999 needed')
    await submit(to, '2')
    await expect.poll(async () => await page.getByTestId('send-error').textContent()).toMatch(/insufficient funds: 5000000000 available/)
    expect(problems).toEqual([])
  })

  it('creates and copies addresses, toggles mining, and forgets a token the node no longer accepts', async () => {
    const { page, context, problems } = await open(miner, undefined, [/^POST \/api\/wallet\/address 401$/])
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: miner.url })
    expect(await page.getByTestId('token-button').textContent()).toMatch(/Unlock/)
    await page.getByTestId('token-button').click()
    await page.getByTestId('token-input').fill(`  ${miner.token}\n`)
    await page.getByTestId('token-save').click()
    await expect.poll(async () => await page.getByTestId('token-button').textContent()).toMatch(/Unlocked/)

    const before = await page.getByTestId('addresses').locator('li').count()
    await page.getByTestId('new-address').click()
    await expect.poll(async () => await page.getByTestId('addresses').locator('li').count()).toBe(before + 1)
    const newest = await page.getByTestId('addresses').locator('li').first().getAttribute('data-address')
    expect(newest).toBe(miner.node.walletAddresses.slice(-1)[0])
    await page.getByTestId('addresses').locator('li').first().getByRole('button').click()
    expect(await page.evaluate(async () => await (globalThis as any).navigator.clipboard.readText())).toBe(newest)

    await expect.poll(async () => await page.getByTestId('mining-toggle').textContent()).toBe('Stop mining')
    await page.getByTestId('mining-toggle').click()
    await expect.poll(async () => await page.getByTestId('mining-toggle').textContent()).toBe('Start mining')
    expect(miner.node.callsOf('mining').slice(-1)[0]).toEqual([false])
    await page.getByTestId('mining-toggle').click()
    await expect.poll(async () => await page.getByTestId('mining-toggle').textContent()).toBe('Stop mining')

    // the node restarted with a new token: the stored one is dropped
    await page.evaluate(() => (globalThis as any).sessionStorage.setItem('minicoin.apiToken', 'cd'.repeat(32)))
    await page.getByTestId('new-address').click()
    await expect.poll(async () => await page.evaluate(() => (globalThis as any).sessionStorage.getItem('minicoin.apiToken'))).toBeNull()
    await expect.poll(async () => await page.getByTestId('token-button').textContent()).toMatch(/Unlock$/)
    expect(problems).toEqual([])
  })

  it('searches by height, hash, txid and address and shows the details', async () => {
    const { page, problems } = await open(miner, undefined, [/^GET \/api\/search 404$/])
    const search = async (q: string): Promise<void> => {
      await page.getByTestId('search-input').fill(q)
      await page.getByTestId('search-input').press('Enter')
    }
    const detail = page.getByTestId('detail')
    const block = miner.node.chain[7]
    await search('7')
    await expect.poll(async () => await detail.locator('h2').textContent()).toBe('Block #7')
    expect(await detail.getByTestId('merkle-root').textContent()).toBe(block.merkleRoot)
    expect(await detail.textContent()).toMatch(/matches the header/)
    for (const t of block.transactions ?? []) expect(await detail.textContent()).toContain(t.txid)

    const tx = block.transactions![1]
    await search(tx.txid)
    await expect.poll(async () => await detail.getByTestId('txid').textContent()).toBe(tx.txid)
    expect(await detail.textContent()).toMatch(/Fee0\.00010000 MC/)
    await expect.poll(async () => await detail.getByTestId('tx-status').textContent()).toMatch(/confirmations/)

    await search(block.hash)
    await expect.poll(async () => await detail.getByTestId('block-hash').textContent()).toBe(block.hash)

    await search(miner.node.walletAddresses[0])
    await expect.poll(async () => await detail.locator('h2').textContent()).toBe('Address')

    await search('nothing-like-this')
    await expect.poll(async () => await detail.getByTestId('search-error').textContent()).toMatch(/Nothing on this node matches/)
    await page.getByTestId('detail-close').click()
    await expect.poll(async () => await detail.isVisible()).toBe(false)
    expect(problems).toEqual([])
  })

  it('draws the block tree with side branches, an invalid and a header-only block', async () => {
    const { page, problems } = await open(full)
    const tree = page.getByTestId('block-tree')
    await expect.poll(async () => await tree.locator('.tree-node.side').count()).toBeGreaterThanOrEqual(2)
    expect(await tree.locator('.tree-node.invalid').count()).toBe(1)
    expect(await tree.locator('.tree-node.headers').count()).toBe(1)
    expect(await tree.locator('.tree-node.tip').count()).toBe(1)
    expect(await page.getByTestId('interval-chart').locator('rect.bar').count()).toBeGreaterThan(10)
    // a tip that does not extend the shown one, the old tip now off the active chain: a reorg is announced
    const oldTip = full.node.tip
    expect(await page.getByTestId('reorg-note').isVisible()).toBe(false)
    oldTip.active = false
    const { transactions: _t, size: _s, txCount: _c, ...header } = { ...oldTip, hash: 'cc'.repeat(32), active: true }
    full.node.events.emit('tip', header)
    await expect.poll(async () => await page.getByTestId('reorg-note').textContent(), { timeout: 5000 }).toMatch(/reorg at .*#\d+ …\w+ left the chain/)
    oldTip.active = true
    await screenshot(page, 'dashboard-fake-full-1280x900', true)
    expect(problems).toEqual([])
  })

  it('shows SPV payments with Merkle branches checked in the browser, and flags a forged one', async () => {
    const forged = { ...spv.node.proven[0], txid: 'ab'.repeat(32) }
    spv.node.proven.unshift(forged)
    const { page, problems } = await open(spv)
    const proofs = page.getByTestId('proofs').getByTestId('proof')
    await expect.poll(async () => await proofs.count()).toBe(spv.node.proven.length)
    expect(await page.locator(`[data-testid="proof"][data-txid="${forged.txid}"]`).getByTestId('proof-status').textContent()).toMatch(/mismatch/)
    for (const p of spv.node.proven.slice(1)) {
      expect(await page.locator(`[data-testid="proof"][data-txid="${p.txid}"]`).getByTestId('proof-status').textContent()).toMatch(/root matches header/)
    }
    spv.node.proven.shift()
    await screenshot(page, 'dashboard-fake-spv-390', false)
    expect(problems).toEqual([])
  })
})
