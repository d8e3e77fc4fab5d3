// The pure parts of the per-IP rules: which addresses are exempt, token
// buckets (requests and bytes), inbound slots and the eviction choice, the
// gossipsub IP colocation parameters, and the trusted-address config key.
import { describe, expect, it } from 'vitest'
import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { isIP, isIPv4 as netIsIPv4, isIPv6 as netIsIPv6 } from 'node:net'
import * as isIp from '../../src/p2p/is-ip.js'
import { AddressPolicy, ipOfMultiaddr, ipVersion, parseAddressRange } from '../../src/p2p/peer-address.js'
import { TokenBuckets } from '../../src/p2p/rate-limiter.js'
import { chooseEviction, slotLimitsFor, type EvictionCandidate } from '../../src/p2p/inbound-slots.js'
import { gossipScoreParams } from '../../src/p2p/gossip-scoring.js'
import { topicsFor } from '../../src/p2p/protocols.js'
import { loadConfig } from '../../src/node/config.js'

describe('AddressPolicy', () => {
  it('exempts loopback and trusted addresses and ranges, including IPv4-mapped IPv6', () => {
    const p = new AddressPolicy({ trusted: ['192.168.1.0/24', '10.9.9.9', 'fd00::/8'] })
    for (const ip of ['127.0.0.1', '127.4.5.6', '::1', '::ffff:127.0.0.1', '192.168.1.77', '10.9.9.9', 'fd12::1']) expect(p.isExempt(ip), ip).toBe(true)
    for (const ip of ['192.168.2.1', '10.9.9.8', '8.8.8.8', '2001:db8::1', 'not-an-ip']) expect(p.isExempt(ip), ip).toBe(false)
    expect(p.exemptSet().has('127.0.0.1')).toBe(true)
    expect(p.exemptSet().has('8.8.8.8')).toBe(false)
    expect(p.allowMultiaddrs()).toContain('/ip4/192.168.1.0/ipcidr/24')
  })

  it('can treat loopback as any other IP (tests)', () => {
    const p = new AddressPolicy({ exemptLoopback: false })
    expect(p.isExempt('127.0.0.1')).toBe(false)
    expect(p.allowMultiaddrs()).toEqual([])
  })

  it('tells IPv4 from IPv6 from neither exactly as net.isIP does (and src/p2p/is-ip.ts as @chainsafe/is-ip)', () => {
    const inputs = ['127.0.0.1', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.', ' 1.2.3.4', '1.2.3.4 ',
      '::', '::1', ':::', '::1::', '1::2::3', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '12345::1',
      'fe80::1', 'FE80::ABCD', 'g::1', '::ffff:1.2.3.4', '::ffff:1.2.3.04', '::ffff:256.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4',
      'fe80::1%eth0', 'fe80::1%', 'fe80::1%@', '::1%1', ':', '', 'localhost', '::1 ', '[::1]', '::1/128', '1.2.3.4%eth0']
    for (const s of inputs) {
      expect(ipVersion(s), JSON.stringify(s)).toBe(isIP(s))
      // what the build puts in place of @chainsafe/is-ip (whose Node build is node:net's)
      expect([isIp.isIPv4(s), isIp.isIPv6(s), isIp.isIP(s), isIp.ipVersion(s)], JSON.stringify(s)).toEqual([netIsIPv4(s), netIsIPv6(s), isIP(s) !== 0, isIP(s)])
    }
  })

  it('parses addresses and ranges strictly and reads the IP of a multiaddr', () => {
    expect(parseAddressRange('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' })
    expect(parseAddressRange('::1')).toEqual({ address: '::1', prefix: 128, family: 'ipv6' })
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', 'example.com', '10.0.0.0/8/1', '1.2.3', '10.0.0.0/-1']) expect(parseAddressRange(bad), bad).toBeUndefined()
    expect(ipOfMultiaddr(multiaddr('/ip4/10.1.2.3/tcp/4001'))).toBe('10.1.2.3')
    expect(ipOfMultiaddr(multiaddr('/dns4/example.com/tcp/4001'))).toBeUndefined()
  })
})

describe('TokenBuckets', () => {
  it('refills at its rate, lets a reply run into debt that later requests wait out, and refunds what was not used', () => {
    let t = 0
    const b = new TokenBuckets({ perSecond: 1000, burst: 5000, now: () => t })
    expect(b.take('p', 4000)).toBe(true)
    expect(b.take('p', 2000)).toBe(false)
    b.charge('p', 3000) // 1000 - 3000: a debt of 2000
    expect(b.available('p')).toBe(-2000)
    expect(b.msUntil('p', 1)).toBe(2001)
    t += 2500
    expect(b.available('p')).toBe(500)
    b.refund('p', 100_000)
    expect(b.available('p')).toBe(5000)
    expect(b.msUntil('p', 5001)).toBe(Infinity)
  })

  it('keeps at most maxKeys buckets (least recently used go)', () => {
    const b = new TokenBuckets({ perSecond: 1, burst: 1, maxKeys: 100 })
    for (let i = 0; i < 10_000; i++) b.take(`peer-${i}`)
    expect(b.size).toBe(100)
  })
})

describe('inbound slots and eviction', () => {
  it('keeps room for outbound peers whatever maxPeers is', () => {
    expect(slotLimitsFor(50)).toEqual({ outbound: 8, inbound: 42, inboundPerIp: 3 })
    expect(slotLimitsFor(4, 2)).toEqual({ outbound: 2, inbound: 2, inboundPerIp: 2 })
    expect(slotLimitsFor(1)).toMatchObject({ outbound: 1, inbound: 1 })
  })

  const peer = (id: string, group: string, openedAt: number, score = 0): EvictionCandidate => ({ id, group, openedAt, score })

  it('protects the best-scored and the longest connected, then evicts the youngest of the biggest IP group', () => {
    const candidates = [
      peer('old-1', '10.0.0.1', 1), peer('old-2', '10.0.0.2', 2), peer('old-3', '10.0.0.3', 3), peer('old-4', '10.0.0.4', 4),
      peer('penalised-old', '10.0.0.5', 5, -50),
      peer('sybil-1', '6.6.6.6', 100, -1), peer('sybil-2', '6.6.6.6', 101, -1), peer('sybil-3', '6.6.6.6', 102, -1),
      peer('honest-new', '10.0.0.9', 103, -1)
    ]
    expect(chooseEviction(candidates)?.id).toBe('sybil-3')
  })

  it('evicts nobody when every candidate is protected (the newcomer is refused instead)', () => {
    expect(chooseEviction([peer('a', '1.1.1.1', 1), peer('b', '1.1.1.2', 2)])).toBeUndefined()
    expect(chooseEviction([])).toBeUndefined()
  })
})

describe('gossipsub IP colocation', () => {
  it('is on, with exempt addresses whitelisted', () => {
    const exempt = new AddressPolicy({ trusted: ['192.168.1.0/24'] }).exemptSet()
    const params = gossipScoreParams(topicsFor('regtest'), () => 0, exempt)
    expect(params.IPColocationFactorWeight).toBeLessThan(0)
    expect(params.IPColocationFactorThreshold).toBeGreaterThanOrEqual(1)
    expect(params.IPColocationFactorWhitelist?.has('127.0.0.1')).toBe(true)
    expect(params.IPColocationFactorWhitelist?.has('192.168.1.4')).toBe(true)
    expect(params.IPColocationFactorWhitelist?.has('10.0.0.1')).toBe(false)
  })
})

describe('config p2p.trustedAddresses', () => {
  it('accepts addresses and CIDR ranges, stays absent when not given, and names a bad entry', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'minicoin-trusted-'))
    try {
      const file = join(dir, 'c.json')
      await writeFile(file, JSON.stringify({ role: 'full', network: 'devnet', p2p: { trustedAddresses: ['192.168.1.0/24', '10.0.0.5', 'fd00::/8'] } }))
      expect(loadConfig(file).p2p.trustedAddresses).toEqual(['192.168.1.0/24', '10.0.0.5', 'fd00::/8'])
      await writeFile(file, JSON.stringify({ role: 'full', network: 'devnet' }))
      expect(loadConfig(file).p2p.trustedAddresses).toBeUndefined()
      await writeFile(file, JSON.stringify({ role: 'full', network: 'devnet', p2p: { trustedAddresses: ['10.0.0.0/8', 'lan'] } }))
      expect(() => loadConfig(file)).toThrow(/p2p\.trustedAddresses\[1\]: expected an IP address or CIDR range/)
      await writeFile(file, JSON.stringify({ role: 'full', network: 'devnet', p2p: { trustedAddresses: '10.0.0.1' } }))
      expect(() => loadConfig(file)).toThrow(/p2p\.trustedAddresses: expected an array/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('gossipsub IP colocation, computed by gossipsub itself', () => {
  it('costs every peer of an IP with more than 3 peers, and nothing on an exempt IP', async () => {
    const { PeerScore, createPeerScoreParams } = await import('@libp2p/gossipsub/score')
    const quiet = Object.assign(() => {}, { enabled: false, error: () => {}, trace: () => {} })
    const logger = { forComponent: () => quiet } as unknown as ConstructorParameters<typeof PeerScore>[2]
    const exempt = new AddressPolicy().exemptSet()
    const score = new PeerScore(createPeerScoreParams(gossipScoreParams(topicsFor('regtest'), () => 0, exempt)), null, logger, { scoreCacheValidityMs: 0 })
    for (let i = 0; i < 5; i++) {
      score.addPeer(`sybil-${i}`)
      score.addIP(`sybil-${i}`, '10.0.0.66')
      score.addPeer(`local-${i}`)
      score.addIP(`local-${i}`, '127.0.0.1')
    }
    score.addPeer('alone')
    score.addIP('alone', '10.0.0.1')
    // 5 peers on one IP: surplus 2 over the threshold of 3
    expect(score.score('sybil-0')).toBeLessThan(0)
    expect(score.score('local-0')).toBe(0)
    expect(score.score('alone')).toBe(0)
  })
})
