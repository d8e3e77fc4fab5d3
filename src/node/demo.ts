// Demo mode: a fresh network shows life when nodes pay each other small
// amounts every few seconds. Nodes announce a payable address in their
// identify user agent; a demo node pays a random announced address.
import type { Logger } from './logger.js'

const AGENT = /^minicoin\/[\w.]+ \((miner|full|spv)(?:; pay=([a-z0-9]{1,90}))?\)$/

export function userAgentFor (role: string, payAddress?: string): string {
  return `minicoin/0.1.0 (${role}${payAddress !== undefined ? `; pay=${payAddress}` : ''})`
}

export function parseUserAgent (agent: string | undefined): { role?: string, pay?: string } {
  const m = agent === undefined ? null : AGENT.exec(agent)
  if (m === null) return {}
  return { role: m[1], pay: m[2] }
}

export interface DemoOptions {
  intervalMs: number
  amount: bigint
  payees: () => string[]
  send: (to: string, amount: bigint) => Promise<{ txid: string }>
  log: Logger
}

export class DemoPayments {
  private timer: NodeJS.Timeout | undefined
  private busy = false

  constructor (private readonly opts: DemoOptions) {}

  start (): void {
    this.timer = setInterval(() => { void this.tick() }, this.opts.intervalMs)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
  }

  private async tick (): Promise<void> {
    if (this.busy) return
    const payees = this.opts.payees()
    if (payees.length === 0) return
    this.busy = true
    const to = payees[Math.floor(Math.random() * payees.length)]
    try {
      const { txid } = await this.opts.send(to, this.opts.amount)
      this.opts.log.info('demo payment sent', { to, amount: this.opts.amount, txid })
    } catch (err) {
      // no funds yet (a new node, immature coinbases): try again next tick
      this.opts.log.debug('demo payment skipped', { reason: (err as Error).message })
    } finally {
      this.busy = false
    }
  }
}
