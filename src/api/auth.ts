// The cookie token (Bitcoin Core's .cookie is the model): a fresh random
// token each start, written where only the node's user can read it. Whoever
// can read the data dir may spend; nobody else can, even on a shared machine.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { IncomingMessage } from 'node:http'

export function newToken (): string {
  return randomBytes(32).toString('hex')
}

/** Writes the token atomically with mode 0600 (a rename replaces any older, looser file). */
export async function writeCookie (file: string, token: string): Promise<void> {
  const dir = dirname(file)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const tmp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await writeFile(tmp, token, { mode: 0o600, flag: 'wx' })
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/** Removes the cookie if it still holds our token (a newer node may have replaced it). */
export async function removeCookie (file: string, token: string): Promise<void> {
  try {
    if ((await readFile(file, 'utf8')).trim() === token) await rm(file, { force: true })
  } catch {
    // Already gone or unreadable: nothing of ours to remove.
  }
}

// Hashing first makes the comparison constant-time whatever the lengths.
// The one-shot crypto.hash: every authorized request pays this, and
// createHash's object and stream setup cost twice the hashing itself.
function digest (s: string): Buffer {
  return hash('sha256', s, 'buffer') as unknown as Buffer
}

// The node's own token is hashed once, not on every request.
let lastToken: { token: string, digest: Buffer } | undefined

export function tokenMatches (given: string, token: string): boolean {
  if (lastToken?.token !== token) lastToken = { token, digest: digest(token) }
  return timingSafeEqual(digest(given), lastToken.digest)
}

/** True when the request carries `Authorization: Bearer <token>`. */
export function isAuthorized (req: IncomingMessage, token: string): boolean {
  return authProblem(req, token) === undefined
}

/** Why a request is not authorized, told apart (no token, not a Bearer header, a wrong token); undefined when it is. */
export function authProblem (req: IncomingMessage, token: string): string | undefined {
  const header = req.headers.authorization
  if (typeof header !== 'string') return 'this endpoint needs the node\'s cookie token: Authorization: Bearer <token from <data-dir>/.cookie>'
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
  if (match === null) return 'the Authorization header is not "Bearer <token>" (the token is in <data-dir>/.cookie)'
  if (!tokenMatches(match[1], token)) return 'wrong token: not this node\'s cookie token (a node makes a new one each start: read <data-dir>/.cookie again)'
  return undefined
}
