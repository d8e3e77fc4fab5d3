// GET /vendor/<package>/<file>: the library files the dashboard imports, and
// nothing else from node_modules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, posix, resolve } from 'node:path'
import { startApiServer, type ApiServer } from '../../src/api/server.js'
import { VENDOR_FILES } from '../../src/api/static-files.js'
import { createLogger } from '../../src/telemetry/logger.js'
import { FakeNode } from '../support/fake-node.js'

const WEB_DIR = resolve(import.meta.dirname, '..', '..', 'web')
const requireHere = createRequire(import.meta.url)

/** A GET with the path sent exactly as given (fetch would normalise `..` and `%2e`). */
function raw (port: number, path: string, method = 'GET'): Promise<{ status: number, type: string, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** The module specifiers a JS file imports statically (`import … from '…'`, `export … from '…'`, `import '…'`), comments aside. */
function importsOf (source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  return [...code.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)]
    .map(m => m[1] ?? m[2])
}

async function jsFilesUnder (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...await jsFilesUnder(path))
    else if (entry.name.endsWith('.js')) out.push(path)
  }
  return out
}

function packageFile (entry: string): string {
  const [scope, name, ...rest] = entry.split('/')
  return join(dirname(requireHere.resolve(`${scope}/${name}`)), ...rest)
}

describe('GET /vendor/*', () => {
  let dir: string
  let server: ApiServer

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'minicoin-vendor-'))
    server = await startApiServer({
      node: new FakeNode(),
      host: '127.0.0.1',
      port: 0,
      cookieFile: join(dir, '.cookie'),
      webDir: WEB_DIR,
      log: createLogger({ write: () => {} })
    })
  })

  afterAll(async () => {
    await server?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('serves every allow-listed file as JavaScript, byte for byte from node_modules', async () => {
    expect(VENDOR_FILES.length).toBeGreaterThan(0)
    for (const entry of VENDOR_FILES) {
      const r = await raw(server.port, `/vendor/${entry}`)
      expect(r.status, entry).toBe(200)
      expect(r.type).toBe('text/javascript; charset=utf-8')
      expect(r.body).toBe(await readFile(packageFile(entry), 'utf8'))
    }
  })

  it('answers 404 for every other file, package and traversal attempt', async () => {
    const refused = [
      // other files of the same packages, and other packages
      '/vendor/@noble/hashes/sha3.js', '/vendor/@noble/hashes/package.json', '/vendor/@noble/hashes/index.js',
      '/vendor/@scure/base/index.ts', '/vendor/@scure/base/package.json', '/vendor/@noble/secp256k1/index.js',
      '/vendor/vitest/package.json', '/vendor/', '/vendor', '/vendor/@noble/hashes', '/vendor/@noble/hashes/',
      // traversal, raw and encoded, out of the package and out of node_modules
      '/vendor/@noble/hashes/../../../package.json', '/vendor/@noble/hashes/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/vendor/@noble/hashes/..%2f..%2f..%2fpackage.json', '/vendor/@noble/hashes/..%5c..%5cpackage.json',
      '/vendor/..%2f..%2f..%2f..%2fetc%2fpasswd', '/vendor/%2e%2e%2f%2e%2e%2fpackage.json', '/vendor/@noble/hashes/sha2.js/../../../../package.json',
      // near misses of allowed entries
      '/vendor/@noble%2fhashes/sha2.js', '/vendor/%40noble/hashes/sha2.js', '/vendor//@noble/hashes/sha2.js', '/vendor/@noble/hashes//sha2.js',
      '/vendor/@noble/hashes/sha2.js/', '/vendor/@noble/hashes/sha2.js%00', '/vendor/@noble/hashes/SHA2.js', '/vendor/@noble/hashes/./sha2.jsx',
      '/vendor/@noble/hashes/sha2.js.map', '/vendor/@noble/hashes/src/sha2.ts'
    ]
    for (const path of refused) {
      const r = await raw(server.port, path)
      expect(r.status, path).toBe(404)
      expect(r.type, path).toContain('application/json')
      expect(r.body, path).not.toMatch(/"name"\s*:|root:/)
    }
  })

  it('refuses methods other than GET', async () => {
    expect((await raw(server.port, '/vendor/@noble/hashes/sha2.js', 'POST')).status).toBe(405)
  })

  it('lists exactly what the dashboard and the listed files import, so the browser resolves every module', async () => {
    const needed = new Set<string>()
    for (const file of await jsFilesUnder(join(WEB_DIR, 'assets', 'js'))) {
      for (const spec of importsOf(await readFile(file, 'utf8'))) {
        if (spec.startsWith('/vendor/')) needed.add(spec.slice('/vendor/'.length))
        else expect(spec, `${file} imports ${spec}`).toMatch(/^\.\.?\//)
      }
    }
    expect(needed.size).toBeGreaterThan(0)
    const queue = [...needed]
    while (queue.length > 0) {
      const entry = queue.pop() as string
      for (const spec of importsOf(await readFile(packageFile(entry), 'utf8'))) {
        // Inside a package only relative imports: a bare one would need an import map, which the CSP forbids inline.
        expect(spec, `${entry} imports ${spec}`).toMatch(/^\.\.?\//)
        const target = posix.normalize(posix.join(posix.dirname(entry), spec))
        if (!needed.has(target)) {
          needed.add(target)
          queue.push(target)
        }
      }
    }
    expect([...VENDOR_FILES].sort()).toEqual([...needed].sort())
  })
})
