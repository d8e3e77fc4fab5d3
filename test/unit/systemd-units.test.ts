// The shipped systemd units: `systemd-analyze verify` finds nothing to say
// (a warning counts: an unknown key is only a warning to systemd, yet a
// hardening directive that is silently ignored is a hole), the offline
// security analysis rates them well, and the directives an operator relies
// on are there.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hasSystemdAnalyze } from '../support/requirements.js'

const unitsDir = new URL('../../contrib/systemd/', import.meta.url).pathname
const units = readdirSync(unitsDir).filter(f => f.endsWith('.service'))
/** The node's own shutdown deadline (src/cli/commands/node.ts): systemd must wait longer. */
const NODE_SHUTDOWN_S = 20

/** Runs systemd-analyze on a unit file under the instance name `full`; problems as text, '' when none. */
function analyze (file: string, ...command: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'slan-units-'))
  try {
    const name = join(dir, file.split('/').pop()!.replace('@.service', '@full.service'))
    copyFileSync(file, name)
    const r = spawnSync('systemd-analyze', [...command, name], { encoding: 'utf8' })
    return r.status === 0 && r.stderr.trim() === '' ? '' : `exit ${r.status}: ${r.stderr}${r.stdout}`
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function directives (file: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim())
    if (m !== null) out.set(m[1], m[2])
  }
  return out
}

/** Every value of a directive that may repeat (Environment=), in order. */
function repeated (file: string, key: string): string[] {
  return readFileSync(file, 'utf8').split('\n').map(l => l.trim()).filter(l => l.startsWith(`${key}=`)).map(l => l.slice(key.length + 1))
}

describe.skipIf(!hasSystemdAnalyze())('systemd units in contrib/systemd (needs systemd-analyze from Debian systemd)', () => {
  it('ships a unit', () => {
    expect(units).toContain('minicoin@.service')
  })

  it.each(units)('%s passes systemd-analyze verify with no warning', (unit) => {
    expect(analyze(join(unitsDir, unit), 'verify', '--man=no')).toBe('')
  })

  it.each(units)('%s is rated at most 2.5 by systemd-analyze security --offline', (unit) => {
    expect(analyze(join(unitsDir, unit), 'security', '--offline=yes', '--threshold=25')).toBe('')
  })

  it('the check finds a misspelled hardening key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slan-units-'))
    try {
      const bad = join(dir, 'bad.service')
      writeFileSync(bad, '[Service]\nExecStart=/usr/bin/env true\nProtectSystm=strict\n')
      expect(analyze(bad, 'verify', '--man=no')).toMatch(/Unknown key/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('minicoin@.service', () => {
  const d = directives(join(unitsDir, 'minicoin@.service'))

  it('runs as a dedicated user, hardened, writing only its state directory', () => {
    expect(d.get('User')).toBe('minicoin')
    expect(d.get('NoNewPrivileges')).toBe('yes')
    expect(d.get('ProtectSystem')).toBe('strict')
    expect(d.get('StateDirectory')).toBe('minicoin/%i')
    expect(d.get('ExecStart')).toContain('--data-dir /var/lib/minicoin/%i')
  })

  it('restarts on failure and waits for a clean stop longer than the node takes', () => {
    expect(d.get('Restart')).toBe('on-failure')
    expect(d.get('KillSignal')).toBe('SIGTERM')
    expect(Number(d.get('TimeoutStopSec'))).toBeGreaterThan(NODE_SHUTDOWN_S)
  })

  it('sets exactly the environment the README documents: JSON logs and two malloc arenas', () => {
    // MALLOC_ARENA_MAX=2: glibc reads it at process start, so only the unit can set it (README, "Memory")
    expect(repeated(join(unitsDir, 'minicoin@.service'), 'Environment')).toEqual(['MINICOIN_LOG_PRETTY=0', 'MALLOC_ARENA_MAX=2'])
  })
})
