// Where the installation's own files are, whatever the current directory.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN_PATH = join(REPO_ROOT, 'bin', 'minicoin.js')
export const CONFIG_DIR = join(REPO_ROOT, 'config')

/** The dashboard (index.html + assets/); MINICOIN_WEB_DIR points elsewhere for development. */
export function webDir (env: NodeJS.ProcessEnv = process.env): string {
  return env.MINICOIN_WEB_DIR !== undefined && env.MINICOIN_WEB_DIR !== '' ? resolve(env.MINICOIN_WEB_DIR) : join(REPO_ROOT, 'web')
}
