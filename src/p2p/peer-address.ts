// Remote IP addresses of peers, and which of them are exempt from per-IP
// limits. Peer ids cost nothing, IP addresses do: bans, scores, rate limits
// and inbound connection counts are kept per IP as well as per peer id.
// Loopback is exempt by default (a one-machine devnet runs every node on
// 127.0.0.1), and so are the operator's configured trusted addresses.
import { BlockList } from 'node:net'
import { ipVersion } from './is-ip.js'
import type { Multiaddr } from '@multiformats/multiaddr'

export { ipVersion }

export const LOOPBACK_RANGES = ['127.0.0.0/8', '::1/128'] as const

/** An IP address or CIDR range ("10.0.0.7", "192.168.1.0/24", "fd00::/8"), or undefined when it is neither. */
export function parseAddressRange (s: string): { address: string, prefix: number, family: 'ipv4' | 'ipv6' } | undefined {
  const [address, prefixText, ...rest] = s.trim().split('/')
  if (rest.length > 0) return undefined
  const v = ipVersion(address)
  if (v === 0) return undefined
  const bits = v === 4 ? 32 : 128
  if (prefixText === undefined) return { address, prefix: bits, family: v === 4 ? 'ipv4' : 'ipv6' }
  if (!/^[0-9]{1,3}$/.test(prefixText)) return undefined
  const prefix = Number(prefixText)
  if (prefix > bits) return undefined
  return { address, prefix, family: v === 4 ? 'ipv4' : 'ipv6' }
}

/** "::ffff:1.2.3.4" (an IPv4 peer on a dual-stack socket) is 1.2.3.4. */
export function normalizeIp (ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  return mapped !== null ? mapped[1] : ip.toLowerCase()
}

/** The IP of a TCP multiaddr, or undefined (relayed, DNS, unix socket...). */
export function ipOfMultiaddr (ma: Multiaddr): string | undefined {
  const c = ma.getComponents().find(c => c.name === 'ip4' || c.name === 'ip6')
  return c?.value === undefined ? undefined : normalizeIp(c.value)
}

export interface AddressPolicyOptions {
  /** Operator-trusted addresses or CIDR ranges (config p2p.trustedAddresses). */
  trusted?: readonly string[]
  /** Loopback exempt too (default true). Tests turn it off to treat 127.0.0.1 as any IP. */
  exemptLoopback?: boolean
}

export class AddressPolicy {
  private readonly exempt = new BlockList()
  private readonly ranges: string[]

  constructor (opts: AddressPolicyOptions = {}) {
    this.ranges = [...(opts.exemptLoopback ?? true ? LOOPBACK_RANGES : []), ...(opts.trusted ?? [])]
    for (const r of this.ranges) {
      const parsed = parseAddressRange(r)
      if (parsed === undefined) throw new Error(`not an IP address or CIDR range: "${r}"`)
      this.exempt.addSubnet(parsed.address, parsed.prefix, parsed.family)
    }
  }

  /** Exempt from per-IP limits, IP bans and gossipsub's IP colocation penalty. */
  isExempt (ip: string): boolean {
    const n = normalizeIp(ip)
    const v = ipVersion(n)
    if (v === 0) return false
    return this.exempt.check(n, v === 4 ? 'ipv4' : 'ipv6')
  }

  /** The exempt ranges as libp2p connection-manager `allow` multiaddrs (exempt from its limits and pruning). */
  allowMultiaddrs (): string[] {
    return this.ranges.map(r => {
      const p = parseAddressRange(r)!
      return `/${p.family === 'ipv4' ? 'ip4' : 'ip6'}/${p.address}/ipcidr/${p.prefix}`
    })
  }

  /** A Set whose `has` answers isExempt: gossipsub's IPColocationFactorWhitelist only calls `has`. */
  exemptSet (): Set<string> {
    const policy = this
    return new (class extends Set<string> {
      override has (ip: string): boolean { return policy.isExempt(ip) }
    })()
  }
}

/** Whether a multiaddr's IP is loopback (127.0.0.0/8, ::1): reachable only from its own host. */
export function isLoopbackAddr (ma: Multiaddr): boolean {
  const ip = ipOfMultiaddr(ma)
  return ip !== undefined && (ip === '::1' || ip.startsWith('127.'))
}
