// The README's configuration table is made from the config schema: every key
// the loader accepts is documented, with the default the loader fills in.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { configKeys, configTable, withConfigTable } from '../../src/node/config-table.js'
import { configSchema } from '../../src/node/config-schema.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

describe('README configuration table', () => {
  it('is the one the schema gives (run `npm run config-table` after changing the schema)', () => {
    expect(readme.includes(configTable()), 'README config table is stale: npm run config-table').toBe(true)
    expect(withConfigTable(readme)).toBe(readme)
  })

  it('lists every key of the schema once', () => {
    const keys = configKeys().map(r => r.key)
    expect(new Set(keys).size).toBe(keys.length)
    for (const key of keys) expect(readme).toContain(`| \`${key}\` |`)
    // every section of the schema has its keys in the table
    for (const section of Object.keys(configSchema.shape)) expect(keys.some(k => k === section || k.startsWith(`${section}.`)), section).toBe(true)
  })

  it('shows the defaults the loader applies', () => {
    const loaded = configSchema.parse({ role: 'full', network: 'devnet' }) as unknown as Record<string, Record<string, unknown>>
    for (const row of configKeys()) {
      if (row.defaultValue === undefined) continue
      const [section, name] = row.key.split('.')
      expect(loaded[section][name], row.key).toEqual(row.defaultValue)
    }
  })
})
