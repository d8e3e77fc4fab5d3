// axe-core (node_modules/axe-core/axe.min.js) run inside a dashboard page:
// the WCAG 2.0/2.1 A and AA rules, as an assistive-technology user would be
// served. The script is evaluated through the DevTools protocol, so the
// page's Content Security Policy (script-src 'self') needs no exception.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

const require = createRequire(import.meta.url)
const AXE_PATH = require.resolve('axe-core/axe.min.js')
let axeSource: string | undefined

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

export interface AxeViolation {
  id: string
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null
  help: string
  /** CSS selectors of the offending elements, with axe's summary of each failure. */
  nodes: Array<{ target: string, summary: string }>
}

/** Runs axe's WCAG 2.1 A/AA rules on the whole document. */
export async function runAxe (page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(AXE_PATH, 'utf8')
  const loaded = await page.evaluate(() => typeof (globalThis as any).axe === 'object')
  if (!loaded) await page.evaluate(axeSource)
  return await page.evaluate(async (tags) => {
    const axe = (globalThis as any).axe
    const result = await axe.run((globalThis as any).document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: any) => ({ target: n.target.join(' '), summary: String(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 300) }))
    }))
  }, WCAG_TAGS)
}

export function serious (violations: AxeViolation[]): AxeViolation[] {
  return violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
}

/** One line per rule: "id (impact): n elements: target, target, …". */
export function describeViolations (violations: AxeViolation[]): string {
  return violations.map(v => `${v.id} (${v.impact ?? 'n/a'}): ${v.nodes.length} element${v.nodes.length === 1 ? '' : 's'}: ${v.nodes.map(n => n.target).join(', ')}`).join('\n')
}
