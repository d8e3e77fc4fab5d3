// Whether dist/ holds a build of the current src/: shared by bin/minicoin.js
// (which runs the build only then) and the benches that compare it with tsx.
import { readdirSync, readFileSync, statSync } from 'node:fs'

/**
 * 'current', 'missing' or 'stale' (a file or folder in src/ changed after the
 * build started; folders count, as adding, removing or renaming a file
 * changes its folder's mtime). `root` is the repository's file URL, ending in '/'.
 * Costs ~160 stat calls, a few ms.
 */
export function buildState (root) {
  let startedAt
  try {
    startedAt = JSON.parse(readFileSync(new URL('dist/build-info.json', root), 'utf8')).startedAt
  } catch {
    return 'missing'
  }
  if (typeof startedAt !== 'number') return 'missing'
  const src = new URL('src/', root)
  let entries
  try {
    if (statSync(src).mtimeMs > startedAt) return 'stale'
    entries = readdirSync(src, { recursive: true })
  } catch {
    return 'current' // an installation without sources runs what it has
  }
  for (const rel of entries) {
    if (statSync(new URL(rel, src)).mtimeMs > startedAt) return 'stale'
  }
  return 'current'
}
