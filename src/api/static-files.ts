// The dashboard's files: GET / is <webDir>/index.html, GET /assets/<path> a
// file under <webDir>/assets. Paths are checked segment by segment and the
// real path must stay inside the assets folder, so neither `..`, encoded
// slashes nor a symlink can reach anything else. GET /vendor/<file> serves
// one of a fixed list of library files from node_modules (VENDOR_FILES).
import { createReadStream } from 'node:fs'
import { readFile, realpath, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, extname, join, sep } from 'node:path'
import type { ServerResponse } from 'node:http'
import { sendError, setHtmlHeaders } from './respond.js'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8'
}

export function contentTypeOf (file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'
}

const MISSING_DASHBOARD = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>minicoin</title></head>
<body>
<h1>minicoin</h1>
<p>The dashboard is missing: this installation has no <code>index.html</code> in its web folder.</p>
<p>The node runs; its JSON API is under <a href="/api/status">/api/status</a> and its metrics under <a href="/metrics">/metrics</a>.</p>
</body>
</html>
`

function notFound (res: ServerResponse): void {
  sendError(res, 404, 'not-found', 'no such file')
}

export async function serveIndex (res: ServerResponse, webDir: string): Promise<void> {
  let html: Buffer | string
  try {
    html = await readFile(join(webDir, 'index.html'))
  } catch {
    html = MISSING_DASHBOARD
  }
  setHtmlHeaders(res)
  res.statusCode = 200
  res.setHeader('Content-Type', 'text/html; charset=utf-8')
  res.setHeader('Cache-Control', 'no-cache')
  res.setHeader('Content-Length', Buffer.byteLength(html))
  res.end(html)
}

/** Segments of a request path below /assets/, or null when any is unsafe. */
export function safeSegments (rawPath: string): string[] | null {
  const segments: string[] = []
  for (const raw of rawPath.split('/')) {
    let s: string
    try {
      s = decodeURIComponent(raw)
    } catch {
      return null
    }
    if (s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\\') || s.includes('\0') || s.startsWith('.')) return null
    segments.push(s)
  }
  return segments.length > 0 ? segments : null
}

/** Serves <webDir>/assets/<rest>; `rest` is the raw (still encoded) path after "/assets/". */
export async function serveAsset (res: ServerResponse, webDir: string, rest: string): Promise<void> {
  const segments = safeSegments(rest)
  if (segments === null) return notFound(res)
  let root: string, file: string
  try {
    root = await realpath(join(webDir, 'assets'))
    file = await realpath(join(root, ...segments))
  } catch {
    return notFound(res)
  }
  if (!file.startsWith(root + sep)) return notFound(res)
  await sendFile(res, file)
}

/**
 * The library files the dashboard imports, by URL path below /vendor/:
 * `<package>/<file in the package>`. The dashboard imports sha2.js, utils.js
 * and index.js; the rest are what those import in turn (relative imports,
 * which the browser resolves to siblings under the same prefix). Nothing
 * else in node_modules is reachable: the request path must equal an entry.
 */
export const VENDOR_FILES: readonly string[] = Object.freeze([
  '@scure/base/index.js',
  '@noble/hashes/sha2.js',
  '@noble/hashes/_md.js',
  '@noble/hashes/_u64.js',
  '@noble/hashes/utils.js'
])

const requireFromHere = createRequire(import.meta.url)

/** The file of a VENDOR_FILES entry: found from the package's main entry, wherever npm put the package. */
function vendorFilePath (entry: string): string | null {
  const slash = entry.indexOf('/', entry.indexOf('/') + 1)
  try {
    return join(dirname(requireFromHere.resolve(entry.slice(0, slash))), entry.slice(slash + 1))
  } catch {
    return null
  }
}

/** Serves one of VENDOR_FILES; `rest` is the raw path after "/vendor/", compared undecoded. */
export async function serveVendor (res: ServerResponse, rest: string): Promise<void> {
  if (!VENDOR_FILES.includes(rest)) return notFound(res)
  const file = vendorFilePath(rest)
  if (file === null) return notFound(res)
  await sendFile(res, file)
}

async function sendFile (res: ServerResponse, file: string): Promise<void> {
  const info = await stat(file).catch(() => null)
  if (info === null || !info.isFile()) return notFound(res)

  const type = contentTypeOf(file)
  if (type.startsWith('text/html')) setHtmlHeaders(res)
  res.statusCode = 200
  res.setHeader('Content-Type', type)
  res.setHeader('Content-Length', info.size)
  res.setHeader('Cache-Control', 'no-cache')
  await new Promise<void>((resolve) => {
    const stream = createReadStream(file)
    stream.once('error', () => { res.destroy(); resolve() })
    res.once('close', () => { stream.destroy(); resolve() })
    stream.pipe(res)
  })
}
