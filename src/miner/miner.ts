// The mining loop: build a template, search nonces off the event loop, and
// hand a found block to the chain like any other block. A search is
// abandoned at once when the tip moves, and refreshed when new transactions
// have waited long enough to be worth a new template.
import { EventEmitter } from 'node:events'
import { serializeHeader } from '../core/encoding.js'
import { bitsToTarget } from '../core/pow.js'
import { ValidationError } from '../core/errors.js'
import type { Block } from '../core/types.js'
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
  now?: () => number
}

export interface MinerEvents {
  mined: [block: Block]
  error: [err: Error]
}

export class Miner extends EventEmitter<MinerEvents> {
  private readonly chain: Chain
  private readonly mempool?: Mempool
  readonly payTo: Uint8Array
  private readonly search: NonceSearch
  private readonly refreshMs: number
  private readonly retryMs: number
  private readonly now: () => number
  private loop: Promise<void> | undefined
  private abort: AbortController | undefined
  private extraNonce = 0n
  private stopping = false
  blocksMined = 0

  constructor (opts: MinerOptions) {
    super()
    this.chain = opts.chain
    this.mempool = opts.mempool
    this.payTo = opts.payTo
    this.search = new NonceSearch({ threads: opts.threads })
    this.refreshMs = opts.refreshMs ?? 2000
    this.retryMs = opts.retryMs ?? 1000
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
    if (this.loop !== undefined) return
    this.stopping = false
    this.search.start()
    this.loop = this.run().finally(() => { this.loop = undefined })
  }

  async stop (): Promise<void> {
    this.stopping = true
    this.abort?.abort()
    await this.loop
    await this.search.stop()
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
        const target = bitsToTarget(template.block.header.bits)!
        let found
        try {
          found = await this.search.search(serializeHeader(template.block.header), target, this.abort.signal)
        } catch (err) {
          this.report(err)
          await this.pause(this.retryMs)
          continue
        }
        if (found === null) continue // aborted, stale or exhausted: a new template (new extra-nonce) follows
        const block: Block = { ...template.block, header: { ...template.block.header, nonce: found.nonce } }
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
