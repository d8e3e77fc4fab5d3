// The import arrows of src/ point down the layer list and form no cycle
// (scripts/check-layers.ts). The checker itself is tested on small made-up
// trees, so a checker that finds nothing cannot pass for a clean tree.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { checkLayers, UPWARD_ALLOWED } from '../../scripts/check-layers.js'

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src')

describe('layers of src/', () => {
  const report = checkLayers(SRC)

  it('reads the tree (sanity: the check sees files and imports)', () => {
    expect(report.files).toBeGreaterThan(50)
    expect(report.arrows.length).toBeGreaterThan(report.files)
  })

  it('has no import cycle', () => {
    expect(report.cycles).toEqual([])
  })

  it('has no upward import beyond the allow-list', () => {
    expect(report.unexpected.map(a => `${a.from} -> ${a.to}`)).toEqual([])
  })

  it('has no stale allow-list entry, and every entry gives a reason', () => {
    expect(report.stale).toEqual([])
    for (const reason of Object.values(UPWARD_ALLOWED)) expect(reason.trim().length).toBeGreaterThan(10)
  })
})

describe('the layer checker', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  async function tree (files: Record<string, string>): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'minicoin-layers-'))
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true })
      await writeFile(join(dir, path), text)
    }
    return dir
  }

  it('reports a cycle, also through a type-only or multi-line import', async () => {
    const src = await tree({
      'p2p/a.ts': "import type { B } from './b.js'\nexport type A = B\n",
      'p2p/b.ts': "import {\n  c\n} from './c.js'\nexport type B = number\nexport const b = c\n",
      'p2p/c.ts': "export { a } from './d.js'\nexport const c = 1\n",
      'p2p/d.ts': "export const a = async () => await import('./a.js')\n"
    })
    expect(checkLayers(src).cycles).toEqual([['p2p/a.ts', 'p2p/b.ts', 'p2p/c.ts', 'p2p/d.ts']])
  })

  it('reports an import up the layers and between peers, not one down', async () => {
    const src = await tree({
      'core/x.ts': "import { n } from '../node/n.js'\nexport const x = n\n",
      'miner/m.ts': "import { w } from '../wallet/w.js'\nexport const m = w\n",
      'wallet/w.ts': "export const w = 1\n",
      'node/n.ts': "import { w } from '../wallet/w.js'\nexport const n = w\n"
    })
    const report = checkLayers(src)
    expect(report.cycles).toEqual([])
    expect(report.unexpected.map(a => `${a.from} -> ${a.to}`).sort()).toEqual(['core/x.ts -> node/n.ts', 'miner/m.ts -> wallet/w.ts'])
  })

  it('reports a folder missing from the layer list', async () => {
    const src = await tree({
      'newthing/t.ts': "import { c } from '../core/c.js'\nexport const t = c\n",
      'core/c.ts': "export const c = 1\n"
    })
    expect(checkLayers(src).unexpected.map(a => a.from)).toEqual(['newthing/t.ts'])
  })
})
