// Keeps the test tree's arrows one way: product code, benches and scripts never
// import from test/, and bench/support (shared by tests and benches) imports
// only src/ and itself. Reads the files as text: static imports, re-exports and
// dynamic import() with a string literal.
import { describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const REPO = resolve(import.meta.dirname, '..', '..')
const SOURCE = /\.(ts|mts|js|mjs)$/

function sourceFiles (dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, withFileTypes: true })
    .filter(e => e.isFile() && SOURCE.test(e.name))
    .map(e => relative(REPO, join(e.parentPath, e.name)))
}

/** Repo-relative paths of the relative modules `file` imports. */
export function importedPaths (file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm)].map(m => m[2])
  return specs.map(s => relative(REPO, resolve(REPO, dirname(file), s)))
}

function offenders (dirs: string[], allowed: (target: string) => boolean): string[] {
  const found: string[] = []
  for (const dir of dirs) {
    for (const file of sourceFiles(dir)) {
      for (const target of importedPaths(file, readFileSync(join(REPO, file), 'utf8'))) {
        if (!allowed(target)) found.push(`${file} -> ${target}`)
      }
    }
  }
  return found
}

describe('test tree imports', () => {
  it('the parser sees static, side-effect and dynamic imports', () => {
    const text = "import { a } from '../test/x.js'\nimport '../test/y.js'\nexport { b } from '../test/z.js'\nawait import('../test/w.js')\n"
    expect(importedPaths('bench/p.ts', text)).toEqual(['test/x.js', 'test/y.js', 'test/z.js', 'test/w.js'])
  })

  it('nothing in src/, bin/, bench/ or scripts/ imports from test/', () => {
    expect(offenders(['src', 'bin', 'bench', 'scripts'], t => !t.startsWith('test/'))).toEqual([])
  })

  it('bench/support imports only src/ and bench/support', () => {
    expect(offenders(['bench/support'], t => t.startsWith('src/') || t.startsWith('bench/support/'))).toEqual([])
  })
})
