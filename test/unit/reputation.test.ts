// Per-IP bookkeeping of peer reputation: penalties and bans reach the IP so a
// fresh peer id does not escape them, loopback and trusted addresses are
// exempt, and every map stays bounded.
import { describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import type { MultiaddrConnection } from '@libp2p/interface'
import { PeerReputation } from '../../src/p2p/reputation.js'
import { PeerAction, times } from '../../src/p2p/peer-actions.js'

function clock (): { now: () => number, advance: (ms: number) => void } {
  let t = 1_000_000
  return { now: () => t, advance: (ms: number) => { t += ms } }
}

function inboundFrom (ip: string): MultiaddrConnection {
  return { remoteAddr: multiaddr(`/ip4/${ip}/tcp/40000`) } as unknown as MultiaddrConnection
}

describe('penalties and bans per IP', () => {
  it('a peer that reconnects under a new id starts from its IP\'s score and is banned together with its IP', () => {
    const c = clock()
    const rep = new PeerReputation({ now: c.now })
    rep.noteAddress('id-a', '10.0.0.7')
    rep.penalize('id-a', 60, 'test')
    expect(rep.isBanned('id-a')).toBe(false)
    // same machine, fresh id
    rep.noteAddress('id-b', '10.0.0.7')
    rep.penalize('id-b', 60, 'test')
    expect(rep.score('id-b')).toBe(-60)
    expect(rep.ipScore('10.0.0.7')).toBeLessThan(-100)
    expect(rep.isBanned('id-b')).toBe(true)
    expect(rep.isIpBanned('10.0.0.7')).toBe(true)
    // any id from that IP is refused at the door, both ways
    const gater = rep.gater()
    expect(gater.denyInboundConnection(inboundFrom('10.0.0.7'))).toBe(true)
    expect(gater.denyDialMultiaddr(multiaddr('/ip4/10.0.0.7/tcp/4001'))).toBe(true)
    expect(gater.denyInboundConnection(inboundFrom('10.0.0.8'))).toBe(false)
  })

  it('banning a peer bans its IP, which hangs up every peer from it, until the IP ban expires', () => {
    const c = clock()
    const rep = new PeerReputation({ now: c.now, banMs: 60_000, ipBanMs: 3_600_000 })
    const hungUp: string[] = []
    rep.onIpBan = ip => hungUp.push(ip)
    rep.noteAddress('id-a', '::ffff:192.168.1.9')
    rep.ban('id-a', 'wrong-genesis')
    expect(hungUp).toEqual(['192.168.1.9'])
    expect(rep.isIpBanned('192.168.1.9')).toBe(true)
    c.advance(60_001)
    expect(rep.isBanned('id-a')).toBe(false)
    expect(rep.isIpBanned('192.168.1.9')).toBe(true)
    c.advance(3_600_000)
    expect(rep.isIpBanned('192.168.1.9')).toBe(false)
  })

  it('exempts loopback (a one-machine devnet) and trusted addresses, unless loopback exemption is turned off', () => {
    for (const ip of ['127.0.0.1', '192.168.5.20']) {
      const rep = new PeerReputation({ trustedAddresses: ['192.168.5.0/24'] })
      rep.noteAddress('a', ip)
      rep.noteAddress('b', ip)
      rep.penalize('a', 90, 'x')
      rep.penalize('b', 90, 'x')
      expect(rep.isBanned('b')).toBe(false)
      rep.ban('a', 'x')
      expect(rep.isIpBanned(ip)).toBe(false)
      expect(rep.gater().denyInboundConnection(inboundFrom(ip))).toBe(false)
    }
    const strict = new PeerReputation({ exemptLoopback: false })
    strict.noteAddress('a', '127.0.0.1')
    strict.ban('a', 'x')
    expect(strict.isIpBanned('127.0.0.1')).toBe(true)
  })

  it('penalize takes a named action from the table, and the old (points, reason) form still works', () => {
    const rep = new PeerReputation({ now: () => 1_000_000 }) // a still clock: scores do not decay between the checks
    rep.penalize('p', PeerAction.RATE_LIMIT)
    expect(rep.score('p')).toBe(-PeerAction.RATE_LIMIT.points)
    rep.penalize('p', times(PeerAction.UNREQUESTED_PROOF, 3), 'spv-unrequested-proof')
    expect(rep.score('p')).toBeCloseTo(-35, 5)
    rep.penalize('p', 7, 'legacy')
    expect(rep.score('p')).toBeCloseTo(-42, 5)
    rep.penalize('q', PeerAction.INVALID_BLOCK)
    expect(rep.isBanned('q')).toBe(false) // -100 is the threshold itself
    rep.penalize('q', PeerAction.STREAM_LEFT_OPEN)
    expect(rep.isBanned('q')).toBe(true)
  })
})

describe('bounded maps', () => {
  it('scores, bans and peer addresses stay bounded however many peer ids and IPs misbehave', () => {
    const rep = new PeerReputation({ maxEntries: 1000 })
    for (let i = 0; i < 20_000; i++) {
      const id = `peer-${i}`
      rep.noteAddress(id, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
      rep.penalize(id, i % 3 === 0 ? 200 : 10, 'flood')
    }
    const s = rep.sizes()
    for (const [name, size] of Object.entries(s)) expect(size, name).toBeLessThanOrEqual(1000)
  })

  it('prune() drops expired bans and scores that decayed to nothing', () => {
    const c = clock()
    const rep = new PeerReputation({ now: c.now, banMs: 1000, ipBanMs: 2000, decayPerSecond: 0.5 })
    rep.noteAddress('a', '10.1.1.1')
    rep.penalize('a', 500, 'x')
    rep.noteAddress('b', '10.1.1.2')
    rep.penalize('b', 20, 'x')
    expect(rep.sizes()).toMatchObject({ standings: 2, ipStandings: 2, bans: 1, ipBans: 1 })
    c.advance(60_000)
    rep.prune()
    expect(rep.sizes()).toMatchObject({ standings: 0, ipStandings: 0, bans: 0, ipBans: 0 })
  })
})
