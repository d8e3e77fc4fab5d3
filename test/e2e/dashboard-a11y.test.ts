// Accessibility and the LAN view of the dashboard on a live `minicoin
// devnet` (miner, full node, SPV node) plus a fourth node that joins late and
// leaves, driven through headless Chromium:
// - axe-core's WCAG 2.1 A/AA rules on every role's page at 1280 and 390 px
//   wide: any serious or critical violation fails;
// - the keyboard alone: every tab stop visibly focused; search, mining
//   stop/start, unlock, one payment, opening a transaction, a block and a
//   proof, with Tab/Enter/typing only;
// - the network view: all four other nodes with role and height, the one
//   that left shown behind this node's tip, block propagation per peer;
//   a screenshot goes to test-artifacts/network-view.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { Cleanup } from '../../bench/support/nodes.js'
import { startDaemon, type Daemon } from '../../bench/support/daemons.js'
import { stopProcess } from '../../bench/support/process.js'
import { ARTIFACTS, chromiumAvailable, launchBrowser, openPage, waitUntil, type WatchedPage } from './helpers/browser.js'
import { describeViolations, runAxe, serious } from './helpers/axe.js'
import { startDevnet, type Devnet, type DevnetRole } from './helpers/devnet.js'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'

const WIDTHS = [{ width: 1280, height: 900 }, { width: 390, height: 844 }]

async function settled (page: Page, role: DevnetRole): Promise<void> {
  await expect.poll(async () => await page.getByTestId('role').textContent(), { timeout: 20_000 }).toBe(role)
  await expect.poll(async () => await page.getByTestId('live').getAttribute('data-state'), { timeout: 20_000 }).toBe('live')
  await expect.poll(async () => await page.getByTestId('block-list').locator('li[data-height]').count(), { timeout: 60_000 }).toBeGreaterThan(1)
  await page.getByTestId('lan-nodes').waitFor({ timeout: 20_000 })
}

/** axe at both widths; returns the serious and critical violations, one entry per width. */
async function axeBothWidths (page: Page, label: string): Promise<string[]> {
  const found: string[] = []
  for (const viewport of WIDTHS) {
    await page.setViewportSize(viewport)
    const violations = await runAxe(page)
    console.log(`axe ${label} @${viewport.width}px: ${violations.length === 0 ? 'no violations' : '\n' + describeViolations(violations)}`)
    const bad = serious(violations)
    if (bad.length > 0) found.push(`${label} @${viewport.width}px:\n${describeViolations(bad)}`)
  }
  await page.setViewportSize(WIDTHS[0])
  // and the dark colour scheme (prefers-color-scheme), at the wide layout
  await page.emulateMedia({ colorScheme: 'dark' })
  const dark = await runAxe(page)
  await page.emulateMedia({ colorScheme: 'light' })
  console.log(`axe ${label} dark: ${dark.length === 0 ? 'no violations' : '\n' + describeViolations(dark)}`)
  if (serious(dark).length > 0) found.push(`${label} dark:\n${describeViolations(serious(dark))}`)
  return found
}

/** A picture of one element as it sits on the whole page (an element screenshot scrolls it under the sticky top bar). */
async function elementShot (page: Page, testId: string, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true })
  await page.evaluate(() => { (globalThis as any).scrollTo(0, 0) })
  const box = await page.getByTestId(testId).boundingBox()
  if (box === null) throw new Error(`${testId} is not visible`)
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, clip: box, animations: 'disabled' })
}

interface Focused { desc: string, visible: boolean }

/** What has the keyboard focus, and whether it shows a focus indicator (an outline, or a thick stroke on an SVG link's shape). */
async function focused (page: Page): Promise<Focused> {
  return await page.evaluate(() => {
    const d = (globalThis as any).document
    const el = d.activeElement
    if (el === null || el === d.body) return { desc: 'body', visible: false }
    const view = d.defaultView
    const style = view.getComputedStyle(el)
    let visible = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 1
    if (!visible && el.namespaceURI === 'http://www.w3.org/2000/svg') {
      const shape = el.querySelector('rect, circle')
      visible = shape !== null && Number.parseFloat(view.getComputedStyle(shape).strokeWidth) >= 2
    }
    const desc = `${String(el.tagName).toLowerCase()}${el.id !== '' ? '#' + String(el.id) : ''}${el.getAttribute('data-testid') !== null ? `[${String(el.getAttribute('data-testid'))}]` : ''} "${String(el.textContent ?? '').trim().slice(0, 30)}"`
    return { desc, visible }
  })
}

/** Presses Tab until `matches` holds for the focused element; every stop on the way must be visibly focused. */
async function tabTo (page: Page, matches: string, maxStops = 400): Promise<Focused[]> {
  const stops: Focused[] = []
  for (let i = 0; i < maxStops; i++) {
    await page.keyboard.press('Tab')
    const f = await focused(page)
    stops.push(f)
    if (await page.evaluate((sel) => (globalThis as any).document.activeElement?.matches(sel) === true, matches)) return stops
  }
  throw new Error(`${matches} not reached with ${maxStops} Tab presses; stops: ${stops.map(s => s.desc).join(' | ')}`)
}

function invisible (stops: Focused[]): string[] {
  return stops.filter(s => !s.visible).map(s => s.desc)
}

/**
 * Back to the top of the page, as after loading it and pressing Tab once:
 * the focus on the "Skip to content" link, the page's first tab stop. (A
 * blur alone would leave Chromium's sequential-navigation starting point
 * where the focus was.)
 */
async function fromTop (page: Page): Promise<void> {
  await page.evaluate(() => { (globalThis as any).document.querySelector('a.skip').focus() })
  expect((await focused(page)).desc).toMatch(/Skip to content/)
}

describe.skipIf(!chromiumAvailable())('dashboard accessibility and LAN view on a live devnet (needs /usr/bin/chromium)', () => {
  let devnet: Devnet
  let browser: Browser
  const pages: Partial<Record<DevnetRole, WatchedPage>> = {}
  const cleanup = new Cleanup()
  let txid = ''

  beforeAll(async () => {
    devnet = await startDevnet()
    browser = await launchBrowser()
  }, 180_000)

  afterAll(async () => {
    for (const p of Object.values(pages)) await p.close().catch(() => {})
    await browser?.close().catch(() => {})
    await cleanup.run()
    if (devnet !== undefined) await devnet.stop()
  }, 90_000)

  async function open (role: DevnetRole): Promise<Page> {
    pages[role] ??= await openPage(browser, `${devnet.urls[role]}/`)
    await settled(pages[role].page, role)
    return pages[role].page
  }

  for (const role of ['miner', 'full', 'spv'] as const) {
    it(`${role} page: no serious or critical WCAG 2.1 A/AA violation at 1280 and 390 px`, async () => {
      const page = await open(role)
      const found = await axeBothWidths(page, role)
      expect(found, found.join('\n')).toEqual([])
    }, 120_000)
  }

  it('works with the keyboard alone: search, mining stop/start, unlock, a payment, opening a transaction and a block', async () => {
    const page = await open('miner')
    const stops: Focused[] = []

    // search for block 1: type, Enter; the detail opens and takes the focus
    await fromTop(page)
    stops.push(...await tabTo(page, '#search-input'))
    await page.keyboard.type('1')
    await page.keyboard.press('Enter')
    await expect.poll(async () => await page.locator('#detail-title').textContent(), { timeout: 15_000 }).toMatch(/^Block #1\b/)
    await expect.poll(async () => (await focused(page)).desc, { timeout: 15_000 }).toMatch(/^h2#detail-title/)

    // unlock from the top bar: Enter on the button, type the token, Enter
    await fromTop(page)
    stops.push(...await tabTo(page, '#token-button'))
    await page.keyboard.press('Enter')
    await expect.poll(async () => (await focused(page)).desc, { timeout: 15_000 }).toMatch(/token-input/)
    await page.keyboard.type(await devnet.token('miner'))
    await page.keyboard.press('Enter')
    await expect.poll(async () => await page.getByTestId('token-button').textContent(), { timeout: 15_000 }).toMatch(/Unlocked/)

    // mining: stop, then start again, each with Enter on the focused button
    await fromTop(page)
    stops.push(...await tabTo(page, '#mining-toggle'))
    expect(await page.locator('#mining-toggle').textContent()).toBe('Stop mining')
    await page.keyboard.press('Enter')
    await expect.poll(async () => await page.locator('#mining-message').textContent(), { timeout: 15_000 }).toBe('Mining stopped.')
    await expect.poll(async () => await page.locator('#mining-toggle').textContent(), { timeout: 15_000 }).toBe('Start mining')
    await page.keyboard.press('Enter')
    await expect.poll(async () => await page.locator('#mining-message').textContent(), { timeout: 15_000 }).toBe('Mining started.')

    // the payment: to the SPV node's address, once the miner's first reward matured
    await waitUntil('a spendable miner balance', async () => {
      const text = await page.getByTestId('balance-confirmed').textContent()
      return text !== null && Number.parseInt(text, 10) >= 2
    }, 240_000, 500)
    const to = (await devnet.api<{ addresses: string[] }>('spv', '/api/wallet')).addresses[0]
    await fromTop(page)
    stops.push(...await tabTo(page, '#send-to'))
    await page.keyboard.type(to)
    await page.keyboard.press('Tab')
    expect((await focused(page)).desc).toMatch(/send-amount/)
    await page.keyboard.type('1.25')
    await page.keyboard.press('Enter')
    const txidLink = page.getByTestId('send-txid')
    await txidLink.waitFor({ timeout: 20_000 })
    txid = (await txidLink.textContent()) ?? ''
    expect(txid).toMatch(/^[0-9a-f]{64}$/)

    // open it: Tab to the link in the result, Enter; then the block it went into
    stops.push(...await tabTo(page, '[data-testid="send-txid"]'))
    await page.keyboard.press('Enter')
    await expect.poll(async () => await page.locator('#detail-title').textContent(), { timeout: 15_000 }).toMatch(/^Transaction/)
    await expect.poll(async () => (await focused(page)).desc, { timeout: 15_000 }).toMatch(/^h2#detail-title/)
    await expect.poll(async () => await page.getByTestId('tx-status').textContent(), { timeout: 120_000 }).toMatch(/confirmation/)
    stops.push(...await tabTo(page, '#detail-body a[href^="#/block/"]'))
    await page.keyboard.press('Enter')
    await expect.poll(async () => await page.locator('#detail-title').textContent(), { timeout: 15_000 }).toMatch(/^Block #\d+/)
    // a block in the tree: a link of its own, reached with Tab
    await fromTop(page)
    stops.push(...await tabTo(page, '#tree-scroll a'))
    await page.keyboard.press('Enter')
    await expect.poll(async () => await page.locator('#detail-title').textContent(), { timeout: 15_000 }).toMatch(/^Block #\d+/)

    expect(invisible(stops), 'tab stops without a visible focus indicator').toEqual([])
    expect(pages.miner?.problems).toEqual([])
  }, 540_000)

  it('opens a proven payment on the SPV page with the keyboard', async () => {
    expect(txid).not.toBe('')
    const page = await open('spv')
    const proof = page.locator(`[data-testid="proof"][data-txid="${txid}"]`)
    await proof.waitFor({ timeout: 120_000 })
    await fromTop(page)
    const stops = await tabTo(page, `[data-testid="proof"][data-txid="${txid}"] a[href^="#/block/"]`)
    await page.keyboard.press('Enter')
    await expect.poll(async () => await page.locator('#detail-title').textContent(), { timeout: 15_000 }).toMatch(/^Block #\d+/)
    await expect.poll(async () => (await focused(page)).desc, { timeout: 15_000 }).toMatch(/^h2#detail-title/)
    expect(invisible(stops)).toEqual([])
    // the page with a proof on it (links in running text, the Merkle branch drawing)
    const found = await axeBothWidths(page, 'spv with a proof')
    expect(found, found.join('\n')).toEqual([])
    expect(pages.spv?.problems).toEqual([])
  }, 180_000)

  it('shows the LAN: four other nodes with role and height, one that left behind the tip, and block propagation per peer', async () => {
    const status = async (role: DevnetRole): Promise<{ listen: string[], peerId: string }> => await devnet.api(role, '/api/status')
    const miner = await status('miner')
    const dial = miner.listen.find(a => a.startsWith('/ip4/127.0.0.1/'))!
    // a fourth node joins late (bootstrapping from the miner), catches up, then leaves
    const late: Daemon = await startDaemon(cleanup, 'full', ['--bootstrap', dial.includes('/p2p/') ? dial : `${dial}/p2p/${miner.peerId}`], { network: 'devnet' })
    const lateId = late.info.peerId
    const page = await open('miner')
    const row = (peerId: string) => page.locator(`[data-testid="lan-nodes"] tr[data-peer="${peerId}"]`)
    await waitUntil('the late node on the same tip', async () => (await row(lateId).getAttribute('data-agreement')) === 'same-tip', 120_000)
    // what it announced reached the miner (its status exchanges name each new tip)
    await waitUntil('a block the late node announced', async () => {
      const view = await devnet.api<{ propagation: Array<{ arrivals: Array<{ peerId: string }> }> }>('miner', '/api/network')
      return view.propagation.some(b => b.arrivals.some(a => a.peerId === lateId))
    }, 60_000)
    await stopProcess(late.proc)
    // the miner goes on; the late node, gone, stays in the address book at its last claimed height
    await waitUntil('the departed node shown behind', async () =>
      (await row(lateId).getAttribute('data-connected')) === 'false' && (await row(lateId).getAttribute('data-agreement')) === 'behind', 90_000)
    expect(await row(lateId).textContent()).toMatch(/behind by \d+/)
    expect(await row(lateId).textContent()).toMatch(/address book only/)

    // this node, the full node, the SPV node and the late node, each with the role it claims
    expect(await page.locator('[data-testid="lan-nodes"] tbody tr').count()).toBeGreaterThanOrEqual(4)
    const full = await status('full')
    const spv = await status('spv')
    expect(await row(full.peerId).locator('.role-tag').textContent()).toBe('full')
    expect(await row(spv.peerId).locator('.role-tag').textContent()).toBe('spv')
    expect(await row(lateId).locator('.role-tag').textContent()).toBe('full')
    // its last status exchange named our tip or a block of our chain below it (the miner goes on mining
    // between exchanges, so which of the two depends on timing): agreeing, not forked or unknown
    await waitUntil('the full node on our chain', async () => ['same-tip', 'behind'].includes(await row(full.peerId).getAttribute('data-agreement') ?? ''), 60_000)
    expect(await row(full.peerId).locator('td.num').textContent()).toMatch(/^#\d+/)
    // the propagation picture: recent blocks, each with the peers that announced it
    const announced = page.locator('[data-testid="lan-propagation"] > li:not([data-arrivals="0"])')
    await waitUntil('blocks announced by peers', async () => (await announced.count()) >= 2, 30_000)
    expect(await page.getByTestId('lan-stale-summary').textContent()).toMatch(/off the active chain between #\d+ and #\d+/)
    await elementShot(page, 'lan', 'network-view')

    // on the full node the miner's blocks arrive by gossip, drawn as the miner's dots
    const fullPage = await open('full')
    await waitUntil('a block relayed by the miner', async () => (await fullPage.locator('[data-testid="lan-propagation"] circle.lan-dot.role-miner').count()) > 0, 30_000)
    await elementShot(fullPage, 'lan', 'network-view-full')

    const found = [...await axeBothWidths(page, 'miner, LAN with a departed node'), ...await axeBothWidths(fullPage, 'full, LAN')]
    expect(found, found.join('\n')).toEqual([])
    expect(pages.miner?.problems).toEqual([])
    expect(pages.full?.problems).toEqual([])
  }, 300_000)
})
