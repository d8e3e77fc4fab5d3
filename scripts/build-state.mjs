// Whether dist/ holds a build of the current src/: shared by bin/minicoin.js
// (which runs the build only then) and the benches that compare it with tsx.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * 'current', 'missing' or 'stale' (a file or folder in src/ changed after the
 * build started; folders count, as adding, removing or renaming a file
 * changes its folder's mtime). `root` is the repository's file URL, ending in '/'.
 * Costs one stat per file and folder in src/ (~200), ~2 ms.
 */
export function buildState (root) {
  let startedAt
  try {
    startedAt = JSON.parse(readFileSync(new URL('dist/build-info.json', root), 'utf8')).startedAt
  } catch {
    return 'missing'
  }
  if (typeof startedAt !== 'number') return 'missing'
  const src = fileURLToPath(new URL('src', root))
  try {
    return changedSince(src, startedAt) ? 'stale' : 'current'
  } catch {
    return 'current' // an installation without sources runs what it has
  }
}

/**
 * Whether `dir` or anything below it changed after `time`. A walk with
 * withFileTypes and string paths: Node 20's readdirSync({ recursive }) and
 * a URL per entry cost ~15 ms more at every start.
 */
function changedSince (dir, time) {
  if (statSync(dir).mtimeMs > time) return true
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = dir + sep + entry.name
    if (entry.isDirectory() ? changedSince(path, time) : statSync(path).mtimeMs > time) return true
  }
  return false
}
