// Some tests need tools from the system (Chromium, promtool, root for
// network namespaces). On a developer machine without them those tests are
// skipped with the reason in their name; CI sets MINICOIN_REQUIRE_ALL=1 so a
// missing install step fails loudly instead of passing quietly.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

export const REQUIRE_ALL = process.env.MINICOIN_REQUIRE_ALL === '1'

/** Whether a requirement is met; with MINICOIN_REQUIRE_ALL=1 an unmet one throws. */
export function available (what: string, met: boolean): boolean {
  if (!met && REQUIRE_ALL) throw new Error(`MINICOIN_REQUIRE_ALL=1 but ${what} is missing`)
  return met
}

export const hasChromium = (path = '/usr/bin/chromium'): boolean => available(`${path} (Debian package chromium)`, existsSync(path))
export const hasPromtool = (): boolean => available('promtool (Debian package prometheus)', spawnSync('promtool', ['--version']).error === undefined)
export const isRoot = (): boolean => available('root (for ip netns)', process.getuid?.() === 0)
export const hasSystemdAnalyze = (): boolean => available('systemd-analyze (Debian package systemd)', spawnSync('systemd-analyze', ['--version']).error === undefined)
