// Types of code-cache.mjs (plain JavaScript: bin/minicoin.js loads it before anything is compiled).
export type CacheState = 'used' | 'missing' | 'stale' | 'corrupt' | 'rejected' | 'off'

export function cacheKey (bytes: Uint8Array): Buffer
export function readCache (cacheFile: string, key: Uint8Array): { state: 'found', data: Buffer } | { state: 'missing' | 'stale' | 'corrupt' }
export function writeCache (cacheFile: string, key: Uint8Array, data: Uint8Array): boolean
export function runCachedScript (file: string, options?: { cacheFile?: string, readyEvent?: string, enabled?: boolean, asCompiled?: <T>(fn: () => T) => T }): {
  cache: CacheState
  exports: unknown
  saved: Promise<boolean>
}
