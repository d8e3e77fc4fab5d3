import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './paths.js'

export function version (): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}
