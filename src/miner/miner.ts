// The mining loop: build a template, search nonces off the event loop, and
// hand a found block to the chain like any other block. A search is
// abandoned at once when the tip moves, and refreshed when new transactions
// have waited long enough to be worth a new template.
//
// The header time follows the clock while the search runs, as Bitcoin
// miners roll ntime: once a second, when the clock has passed the header's
// time, the search restarts on the same template with the new time. So a
// block's time is when it was found (to the second), not when its template
// was built, and arrival minus header time (the propagation metric) measures
// the trip, not the search. Only ever moving the time forward, up to the
// local clock, keeps every timestamp rule: after the median time past and
// the timewarp floor (lower bounds the template already met) and within
// the future limit.
import { EventEmitter } from 'node:events'
import { serializeHeader } from '../core/encoding.js'
import { bitsToTarget } from '../core/pow.js'
import { ValidationError } from '../core/errors.js'
import type { Block, BlockHeader } from '../core/types.js'
import type { Chain } from '../chain/chain.js'
import type { Mempool } from '../mempool/mempool.js'
import { writeStd } from '../telemetry/stdio.js'
import { NonceSearch } from './nonce-search.js'
import { buildTemplate } from './template.js'

export interface MinerOptions {
  chain: Chain
  mempool?: Mempool
  /** 20-byte address hash the coinbase pays. */
  payTo: Uint8Array
  threads: number
  /** New transactions trigger a fresh template after at most this long (ms). */
  refreshMs?: number
  /** Wait after a failed template build before the next try (ms). */
  retryMs?: number
  /** How often the header time is brought up to the clock during a search (ms). */
  rollMs?: number
  /** Unix seconds. */
  now?: () => number
  /** The nonce search; replaceable in tests. Default: NonceSearch on `threads` workers. */
  search?: HeaderSearch
}

/** What the miner needs of NonceSearch. */
export type HeaderSearch = Pick<NonceSearch, 'threads' | 'start' | 'stop' | 'search' | 'hashRate'>

export interface MinerEvents {
  mined: [block: Block]
  error: [err: Error]
}

export class Miner extends EventEmitter<MinerEvents> {
  private readonly chain: Chain
  private readonly mempool?: Mempool
  readonly payTo: Uint8Array
  private readonly search: HeaderSearch
  private readonly refreshMs: number
  private readonly retryMs: number
  private readonly rollMs: number
  private readonly now: () => number
  private loop: Promise<void> | undefined
  private abort: AbortController | undefined
  private extraNonce = 0n
  private stopping = false
  /** stop() calls not finished yet. */
  private stopsPending = 0
  /** start() came while a stop was finishing: start again once it has. */
  private restartAfterStop = false
  blocksMined = 0

  constructor (opts: MinerOptions) {
    super()
    this.chain = opts.chain
    this.mempool = opts.mempool
    this.payTo = opts.payTo
    this.search = opts.search ?? new NonceSearch({ threads: opts.threads })
    this.refreshMs = opts.refreshMs ?? 2000
    this.retryMs = opts.retryMs ?? 1000
    this.rollMs = opts.rollMs ?? 1000
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000))
  }

  get running (): boolean {
    return this.loop !== undefined
  }

  get threads (): number {
    return this.search.threads
  }

  hashRate (): number {
    return this.running ? this.search.hashRate() : 0
  }

  start (): void {
    if (this.loop !== undefined || this.stopsPending > 0) {
      // a stop is finishing: the newest wish wins once it has
      if (this.stopping) this.restartAfterStop = true
      return
    }
    this.stopping = false
    this.search.start()
    this.loop = this.run().finally(() => { this.loop = undefined })
  }

  /** Stops the search; a start() meanwhile restarts it once the stop has finished (the newest call wins). */
  async stop (): Promise<void> {
    this.stopping = true
    this.restartAfterStop = false
    this.stopsPending++
    try {
      this.abort?.abort()
      await this.loop
      await this.search.stop()
    } finally {
      this.stopsPending--
    }
    if (this.stopsPending === 0 && this.restartAfterStop) {
      this.restartAfterStop = false
      this.start()
    }
  }

  private async pause (ms: number): Promise<void> {
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, ms)
      this.abort?.signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
    })
  }

  /** An 'error' event, which (unlike EventEmitter's default) never throws when nobody listens. */
  private report (err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err))
    if (this.listenerCount('error') > 0) this.emit('error', error)
    else writeStd('stderr', `miner: ${error.stack ?? error.message}\n`)
  }

  /**
   * Searches `header`'s nonces, moving its time up to the clock every
   * rollMs; the header with the winning nonce, or null when `abort` fired
   * or a time's nonce space ran out.
   */
  private async searchRolling (header: BlockHeader, abort: AbortSignal): Promise<BlockHeader | null> {
    const target = bitsToTarget(header.bits)!
    for (;;) {
      const attempt = new AbortController()
      let rolled = false
      const onAbort = (): void => attempt.abort()
      abort.addEventListener('abort', onAbort, { once: true })
      const roll = setInterval(() => {
        if (this.now() > header.time) { rolled = true; attempt.abort() }
      }, this.rollMs)
      let found
      try {
        found = await this.search.search(serializeHeader(header), target, attempt.signal)
      } finally {
        clearInterval(roll)
        abort.removeEventListener('abort', onAbort)
      }
      if (found !== null) return { ...header, nonce: found.nonce }
      if (!rolled || abort.aborted) return null
      header = { ...header, time: Math.max(header.time, this.now()) }
    }
  }

  private async run (): Promise<void> {
    const onTip = (): void => this.abort?.abort()
    let refresh: NodeJS.Timeout | undefined
    const onTx = (): void => {
      if (refresh === undefined) refresh = setTimeout(() => { refresh = undefined; this.abort?.abort() }, this.refreshMs)
    }
    this.chain.on('tip', onTip)
    this.mempool?.on('added', onTx)
    try {
      while (!this.stopping) {
        this.abort = new AbortController()
        const now = this.now()
        let template
        try {
          template = buildTemplate(this.chain, this.mempool, this.payTo, this.extraNonce++, now)
        } catch (err) {
          // never fatal: reported, and tried again shortly (or at once on a new tip)
          this.report(err)
          await this.pause(this.retryMs)
          continue
        }
        // Blocks found faster than one a second (regtest) push their times
        // ahead of the clock; past the future limit peers would refuse them.
        if (template.block.header.time > now + this.chain.params.maxFutureBlockTime / 2) {
          await this.pause(1000)
          continue
        }
        let found
        try {
          found = await this.searchRolling(template.block.header, this.abort.signal)
        } catch (err) {
          this.report(err)
          await this.pause(this.retryMs)
          continue
        }
        if (found === null) continue // aborted, stale or exhausted: a new template (new extra-nonce) follows
        const block: Block = { ...template.block, header: found }
        try {
          await this.chain.processBlock(block)
          this.blocksMined++
          this.emit('mined', block)
        } catch (err) {
          // a template that turned invalid (e.g. a reorg raced it) is dropped;
          // one the chain rejects outright says the pool was wrong: worth a log line
          if (!(err instanceof ValidationError) || err.severity === 'reject') this.report(err)
        }
      }
    } finally {
      this.chain.off('tip', onTip)
      this.mempool?.off('added', onTx)
      if (refresh !== undefined) clearTimeout(refresh)
    }
  }
}
