// The dashboard against a real local network: `minicoin devnet` (miner, full
// node, SPV node as child processes), driven through headless Chromium.
// Watches the miner's height rise without a reload, pays the SPV node's
// address through the send form (token pasted into the unlock dialog, as a
// user would), sees the payment in the mempool and then in a block, and
// finds it proven on the SPV node's page with its Merkle branch. Screenshots
// of every role at 1280x900 and 390x844 go to test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { chromiumAvailable, launchBrowser, openPage, screenshot, waitUntil, type WatchedPage } from './helpers/browser.js'
import { startDevnet, type Devnet, type DevnetRole } from './helpers/devnet.js'

const AMOUNT = '1.5'
const AMOUNT_UNITS = '150000000'
const timings: Record<string, number> = {}

function since (start: number): number {
  return Math.round((Date.now() - start) / 100) / 10
}

async function heightOf (page: Page): Promise<number> {
  return Number(await page.getByTestId('height').textContent())
}

async function shoot (page: Page, role: DevnetRole): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 900 })
  await screenshot(page, `dashboard-${role}-1280x900`)
  await screenshot(page, `dashboard-${role}-1280-full`, true)
  await page.setViewportSize({ width: 390, height: 844 })
  // let the chart redraw for the new width
  await waitUntil('the chart to fit a phone', async () => await page.evaluate(() => {
    const svg = (globalThis as any).document.querySelector('#chart svg')
    return svg !== null && Number(svg.getAttribute('width')) <= 390
  }), 5000)
  await screenshot(page, `dashboard-${role}-390x844`)
  await screenshot(page, `dashboard-${role}-390-full`, true)
  expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth), `${role} page fits 390 px without sideways scrolling`).toBeLessThanOrEqual(390)
  await page.setViewportSize({ width: 1280, height: 900 })
}

describe.skipIf(!chromiumAvailable())('dashboard on a live devnet (needs /usr/bin/chromium)', () => {
  let devnet: Devnet
  let browser: Browser
  const pages: WatchedPage[] = []
  let txid = ''
  const t0 = Date.now()

  beforeAll(async () => {
    const start = Date.now()
    devnet = await startDevnet()
    timings.devnetStart = since(start)
    browser = await launchBrowser()
  }, 180_000)

  afterAll(async () => {
    for (const p of pages) await p.close().catch(() => {})
    await browser?.close().catch(() => {})
    if (devnet !== undefined) {
      const { code, ms } = await devnet.stop()
      timings.devnetStop = Math.round(ms / 100) / 10
      expect(code, `devnet exit code; its last output:\n${devnet.output.slice(-15).join('\n')}`).toBe(0)
    }
    timings.total = since(t0)
    console.log('dashboard e2e timings (s):', JSON.stringify(timings))
  }, 90_000)

  it('shows the miner\'s height rising without a reload', async () => {
    const start = Date.now()
    const miner = await openPage(browser, `${devnet.urls.miner}/`)
    pages.push(miner)
    const { page } = miner
    await expect.poll(async () => await page.getByTestId('role').textContent(), { timeout: 20_000 }).toBe('miner')
    await expect.poll(async () => await page.getByTestId('live').getAttribute('data-state'), { timeout: 20_000 }).toBe('live')
    await page.evaluate(() => { (globalThis as any).marker = 42 })
    const first = await heightOf(page)
    await waitUntil('the height to rise twice', async () => (await heightOf(page)) >= first + 2, 90_000)
    // the same document: updated in place, not reloaded
    expect(await page.evaluate(() => (globalThis as any).marker)).toBe(42)
    await expect.poll(async () => await page.getByTestId('block-list').locator('li[data-height]').count()).toBeGreaterThan(2)
    expect(Number(await page.getByTestId('peers').textContent())).toBeGreaterThanOrEqual(2)
    timings.heightRises = since(start)
  }, 120_000)

  it('pays the SPV node through the send form and sees it in the mempool, then in a block', async () => {
    const start = Date.now()
    const { page } = pages[0]
    const spvWallet = await devnet.api<{ addresses: string[] }>('spv', '/api/wallet')
    const to = spvWallet.addresses[0]

    // a mistyped address is refused in the browser, before any request
    const typo = to.slice(0, -1) + (to.endsWith('q') ? 'p' : 'q')
    await page.getByTestId('send-to').fill(typo)
    await page.getByTestId('send-amount').fill(AMOUNT)
    await page.getByTestId('send-submit').click()
    await expect.poll(async () => await page.getByTestId('send-to-error').textContent()).toMatch(/checksum/)
    expect(await page.getByTestId('token-dialog').isVisible()).toBe(false)

    // unlock with the miner's token from <data-dir>/miner/.cookie
    await page.getByTestId('token-button').click()
    await page.getByTestId('token-input').fill(await devnet.token('miner'))
    await page.getByTestId('token-save').click()
    await expect.poll(async () => await page.getByTestId('token-button').textContent()).toMatch(/Unlocked/)
    expect(page.url()).not.toMatch(/[0-9a-f]{64}/)

    // coinbase maturity: wait until the miner can spend
    await waitUntil('a spendable miner balance', async () => {
      const text = await page.getByTestId('balance-confirmed').textContent()
      return text !== null && Number.parseInt(text, 10) >= 2
    }, 240_000, 500)
    timings.matureAfter = since(t0)

    await page.getByTestId('send-to').fill(to)
    await page.getByTestId('send-amount').fill(AMOUNT)
    await page.getByTestId('send-submit').click()
    const txidLink = page.getByTestId('send-txid')
    await txidLink.waitFor({ timeout: 20_000 })
    txid = (await txidLink.textContent()) ?? ''
    expect(txid).toMatch(/^[0-9a-f]{64}$/)

    // live in the mempool (unless a block took it first) …
    const mempool = page.getByTestId('mempool')
    const seen = await waitUntil('the payment in the mempool or a block', async () => {
      if ((await mempool.locator(`li[data-txid="${txid}"]`).count()) > 0) return 'mempool'
      const tx = await devnet.api<{ confirmations: number }>('miner', `/api/tx/${txid}`).catch(() => undefined)
      return tx !== undefined && tx.confirmations > 0 ? 'block' : undefined
    }, 20_000)
    timings.inMempool = since(start)
    if (seen === 'mempool') await shoot(page, 'miner')

    // … then out of it and into a block
    await waitUntil('the payment to leave the mempool', async () => (await mempool.locator(`li[data-txid="${txid}"]`).count()) === 0, 120_000)
    await txidLink.click()
    const detail = page.getByTestId('detail')
    await expect.poll(async () => await detail.getByTestId('tx-status').textContent(), { timeout: 20_000 }).toMatch(/confirmation/)
    expect(await detail.textContent()).toContain(to)
    await detail.getByRole('link', { name: /^#\d+/ }).first().click()
    await expect.poll(async () => await page.getByTestId('detail').getByRole('heading').first().textContent(), { timeout: 10_000 }).toMatch(/^Block #\d+/)
    await expect.poll(async () => await detail.textContent(), { timeout: 10_000 }).toContain(txid)
    await expect.poll(async () => await detail.textContent()).toMatch(/matches the header/)
    timings.inBlock = since(start)
    if (seen !== 'mempool') await shoot(page, 'miner')
    await page.goto(`${devnet.urls.miner}/#/`)
  }, 400_000)

  it('shows the payment proven on the SPV node, with its Merkle branch', async () => {
    expect(txid).not.toBe('')
    const start = Date.now()
    const spv = await openPage(browser, `${devnet.urls.spv}/`)
    pages.push(spv)
    const { page } = spv
    await expect.poll(async () => await page.getByTestId('role').textContent(), { timeout: 20_000 }).toBe('spv')
    const proof = page.locator(`[data-testid="proof"][data-txid="${txid}"]`)
    await proof.waitFor({ timeout: 120_000 })
    expect(await proof.getByTestId('proof-status').textContent()).toMatch(/root matches header/)
    expect(await proof.textContent()).toContain('+1.50000000')
    expect(await proof.locator('svg rect').count()).toBeGreaterThanOrEqual(3)
    // proven at one block; confirmed at wallet.confirmations (devnet: 6 blocks, ~30 s)
    await expect.poll(async () => BigInt((await devnet.api<{ balance: { confirmed: string } }>('spv', '/api/wallet')).balance.confirmed) >= BigInt(AMOUNT_UNITS), { timeout: 120_000 }).toBe(true)
    await expect.poll(async () => await page.getByTestId('balance-confirmed').textContent(), { timeout: 30_000 }).toMatch(/^1\.50000000/)
    timings.proven = since(start)
    await shoot(page, 'spv')
  }, 180_000)

  it('renders the full node\'s page, and no page logged an error or a CSP violation', async () => {
    const full = await openPage(browser, `${devnet.urls.full}/`)
    pages.push(full)
    const { page } = full
    await expect.poll(async () => await page.getByTestId('role').textContent(), { timeout: 20_000 }).toBe('full')
    await expect.poll(async () => await page.getByTestId('block-list').locator('li[data-height]').count(), { timeout: 20_000 }).toBeGreaterThan(2)
    await expect.poll(async () => await page.locator('#peer-graph svg circle').count()).toBeGreaterThanOrEqual(2)
    await shoot(page, 'full')
    for (const p of pages) expect(p.problems).toEqual([])
  }, 60_000)
})
