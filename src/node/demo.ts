// Demo mode: a fresh network shows life when nodes pay each other small
// amounts every few seconds. Nodes announce a payable address in their
// identify user agent; a demo node pays a random announced address, picked
// per distinct IP address first: peer ids cost nothing, so one machine
// opening many connections (a Sybil) must not win most of the payments.
import type { Logger } from '../telemetry/logger.js'

const AGENT = /^minicoin\/[\w.]+ \((miner|full|spv)(?:; pay=([a-z0-9]{1,90}))?\)$/

export function userAgentFor (role: string, payAddress?: string): string {
  return `minicoin/0.1.0 (${role}${payAddress !== undefined ? `; pay=${payAddress}` : ''})`
}

export function parseUserAgent (agent: string | undefined): { role?: string, pay?: string } {
  const m = agent === undefined ? null : AGENT.exec(agent)
  if (m === null) return {}
  return { role: m[1], pay: m[2] }
}

/** An announced address and the IP address of the connection it came over. */
export interface DemoPayee { ip: string, address: string }

/** The IP address in a multiaddr's components (e.g. /ip4/10.0.0.2/tcp/4001), or the whole string when it has none. */
export function ipOfAddr (components: ReadonlyArray<{ name: string, value?: string }>, fallback: string): string {
  const ip = components.find(c => c.name === 'ip4' || c.name === 'ip6')?.value
  if (ip === undefined) return fallback
  // an IPv4-mapped IPv6 address is the IPv4 host
  return ip.toLowerCase().startsWith('::ffff:') && /^[0-9.]+$/.test(ip.slice(7)) ? ip.slice(7) : ip.toLowerCase()
}

/** A random IP among the payees' distinct IPs, then a random address announced from it. */
export function pickPayee (payees: readonly DemoPayee[], random: () => number = Math.random): string | undefined {
  const byIp = new Map<string, string[]>()
  for (const p of payees) {
    const list = byIp.get(p.ip)
    if (list === undefined) byIp.set(p.ip, [p.address])
    else if (!list.includes(p.address)) list.push(p.address)
  }
  const groups = [...byIp.values()]
  if (groups.length === 0) return undefined
  const group = groups[Math.floor(random() * groups.length)]
  return group[Math.floor(random() * group.length)]
}

export interface DemoOptions {
  intervalMs: number
  amount: bigint
  payees: () => DemoPayee[]
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
    const to = pickPayee(this.opts.payees())
    if (to === undefined) return
    this.busy = true
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
