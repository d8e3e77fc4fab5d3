// A small client for a node's HTTP API (the CLI, scripts, tests). Errors keep
// the server's {code, message} so callers can show or test them.
export class ApiRequestError extends Error {
  constructor (readonly status: number, readonly code: string, message: string) {
    super(message)
    this.name = 'ApiRequestError'
  }
}

/** The node could not be reached at all (not running, wrong URL). */
export class ApiUnreachableError extends Error {
  constructor (readonly url: string, reason: string, options?: { cause?: unknown }) {
    super(`cannot reach the node at ${url}: ${reason}`, options)
    this.name = 'ApiUnreachableError'
  }
}

export interface ApiClientOptions {
  /** Bearer token for POST endpoints (from <data-dir>/.cookie). */
  token?: string
  timeoutMs?: number
}

function reasonOf (err: unknown): string {
  const cause = (err as { cause?: { code?: string, message?: string } }).cause
  if (cause?.code === 'ECONNREFUSED') return 'connection refused (is the node running?)'
  if ((err as Error).name === 'TimeoutError') return 'no answer in time'
  return cause?.message ?? (err as Error).message
}

export class ApiClient {
  readonly baseUrl: string
  private readonly token?: string
  private readonly timeoutMs: number

  constructor (baseUrl: string, opts: ApiClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '')
    this.token = opts.token
    this.timeoutMs = opts.timeoutMs ?? 30_000
  }

  async get<T> (path: string): Promise<T> {
    return await this.request<T>('GET', path)
  }

  async post<T> (path: string, body?: unknown): Promise<T> {
    return await this.request<T>('POST', path, body)
  }

  private async request<T> (method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (this.token !== undefined) headers.Authorization = `Bearer ${this.token}`
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    let res: Response
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs)
      })
    } catch (err) {
      throw new ApiUnreachableError(this.baseUrl, reasonOf(err), { cause: err })
    }
    const text = await res.text()
    let json: unknown
    try {
      json = text === '' ? undefined : JSON.parse(text)
    } catch {
      throw new ApiRequestError(res.status, 'bad-response', `${method} ${path}: the node answered ${res.status} with something that is not JSON`)
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: unknown, message?: unknown } } | undefined)?.error
      const code = typeof error?.code === 'string' ? error.code : `http-${res.status}`
      const message = typeof error?.message === 'string' ? error.message : `${method} ${path} failed with HTTP ${res.status}`
      throw new ApiRequestError(res.status, code, message)
    }
    return json as T
  }
}
