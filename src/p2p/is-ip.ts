// IP address checks with net.isIP's answers, IPv6 checked by libuv's parser
// (SocketAddress) rather than isIPv6, whose one large regular expression
// costs ~15 ms of CPU the first time it runs, at every node start (the
// loopback range ::1/128, and libp2p's first IPv6 multiaddr). The build
// (scripts/build.mjs) puts this module in place of @chainsafe/is-ip, whose
// Node build is node:net's isIPv4/isIPv6; its API is the same.
import { SocketAddress, isIP as netIsIP, isIPv4 } from 'node:net'

export { isIPv4 }

/** 4, 6, or 0 when `s` is neither: what net.isIP answers. */
export function ipVersion (s: string): 0 | 4 | 6 {
  if (isIPv4(s)) return 4
  if (!s.includes(':')) return 0
  // libuv ignores a zone id ("%eth0") whatever it holds; isIPv6 checks it
  if (s.includes('%')) return netIsIP(s) as 0 | 6
  try {
    // eslint-disable-next-line no-new
    new SocketAddress({ address: s, family: 'ipv6' })
    return 6
  } catch {
    return 0
  }
}

export function isIPv6 (s: string): boolean {
  return ipVersion(s) === 6
}

export function isIP (s: string): boolean {
  return ipVersion(s) !== 0
}
