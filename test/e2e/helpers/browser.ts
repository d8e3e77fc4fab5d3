// A headless Chromium for the dashboard tests (the system's /usr/bin/chromium
// driven by playwright-core), and a watch on each page for what must never
// happen: script errors, CSP violations, failed requests of our own assets.
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { waitFor } from '../../../bench/support/wait.js'
import { hasChromium } from '../../support/requirements.js'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const ARTIFACTS = resolve(import.meta.dirname, '..', '..', '..', 'test-artifacts')

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
  // containers often have a small /dev/shm
  '--disable-dev-shm-usage'
]

export function chromiumAvailable (): boolean {
  return hasChromium(CHROMIUM_PATH)
}

/** Launches Chromium with a fresh temporary profile (playwright removes it on close). */
export async function launchBrowser (): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 60_000 })
}

export interface WatchedPage {
  page: Page
  context: BrowserContext
  /** Console errors, page errors, CSP violations, failed requests, unexpected 4xx/5xx answers. */
  problems: string[]
  close: () => Promise<void>
}

/** `allowHttpErrors`: "METHOD /path STATUS" patterns a test provokes on purpose. */
export async function openPage (browser: Browser, url: string, viewport = { width: 1280, height: 900 }, allowHttpErrors: RegExp[] = []): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, colorScheme: 'light' })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    // the browser logs every 4xx answer; those are checked below, by URL
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`)
    if (/Content Security Policy/i.test(m.text())) problems.push(`csp: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('requestfailed', (r) => {
    // an event stream torn down with the page is not a problem
    if (!r.url().endsWith('/api/events')) problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`)
  })
  page.on('response', (r) => {
    if (r.status() < 400) return
    const req = r.request()
    // The unlock dialog checks a pasted token at GET /api/auth: a wrong one is answered 401.
    if (req.method() === 'GET' && new URL(r.url()).pathname === '/api/auth' && r.status() === 401) return
    if (allowHttpErrors.some(re => re.test(`${req.method()} ${new URL(r.url()).pathname} ${r.status()}`))) return
    problems.push(`http ${r.status()}: ${req.method()} ${r.url()}`)
  })
  await page.goto(url)
  return { page, context, problems, close: async () => await context.close() }
}

/** Saves a screenshot under test-artifacts/ and returns its path. */
export async function screenshot (page: Page, name: string, fullPage = false): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path, fullPage, animations: 'disabled' })
  return path
}

/**
 * Waits until `check` holds, polling; never a fixed sleep. Unlike plain
 * `waitFor`, a throwing check (a page query racing a re-render) is retried,
 * and the last error is named if the deadline passes.
 */
export async function waitUntil<T> (what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 250): Promise<T> {
  let lastError: unknown
  const retrying = async (): Promise<T | undefined | false> => {
    try { return await check() } catch (err) { lastError = err; return undefined }
  }
  try {
    return await waitFor(retrying, what, timeoutMs, everyMs) as T
  } catch (err) {
    throw new Error(`${(err as Error).message}${lastError !== undefined ? ` (last error: ${(lastError as Error).message})` : ''}`)
  }
}
