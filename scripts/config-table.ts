// Rewrites the README's configuration table from src/node/config-schema.ts.
// Usage: npm run config-table   (test/unit/config-table.test.ts checks it is current)
import { readFileSync, writeFileSync } from 'node:fs'
import { withConfigTable } from '../src/node/config-table.js'

const readme = new URL('../README.md', import.meta.url)
writeFileSync(readme, withConfigTable(readFileSync(readme, 'utf8')))
