// mDNS discovery between hosts simulated by network namespaces: no
// bootstrap list, nodes find each other on the "LAN". Multicast must never
// leave this machine, so mDNS only ever runs inside namespaces made here.
import { afterAll, describe, expect, it } from 'vitest'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Cleanup, testConfig } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import { isRoot } from '../support/requirements.js'

const fixture = new URL('./fixtures/run-node.ts', import.meta.url).pathname
const cleanup = new Cleanup()
afterAll(async () => { await cleanup.run() })

function ip (...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' })
}

/** A namespace per host on a bridge namespace, like machines on one switch. */
function makeLan (prefix: string, hosts: number): string[] {
  const bridgeNs = `${prefix}br`
  ip('netns', 'add', bridgeNs)
  cleanup.add(() => { try { ip('netns', 'del', bridgeNs) } catch {} })
  ip('-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge')
  ip('-n', bridgeNs, 'link', 'set', 'br0', 'up')
  const names: string[] = []
  for (let i = 0; i < hosts; i++) {
    const ns = `${prefix}h${i}`
    ip('netns', 'add', ns)
    cleanup.add(() => { try { ip('netns', 'del', ns) } catch {} })
    const hostEnd = `${prefix}v${i}`
    const bridgeEnd = `${prefix}b${i}`
    ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', bridgeEnd)
    ip('link', 'set', hostEnd, 'netns', ns)
    ip('link', 'set', bridgeEnd, 'netns', bridgeNs)
    ip('-n', bridgeNs, 'link', 'set', bridgeEnd, 'master', 'br0')
    ip('-n', bridgeNs, 'link', 'set', bridgeEnd, 'up')
    ip('-n', ns, 'addr', 'add', `10.77.${process.pid % 200}.${i + 1}/24`, 'dev', hostEnd)
    ip('-n', ns, 'link', 'set', hostEnd, 'up')
    ip('-n', ns, 'link', 'set', 'lo', 'up')
    // multicast (mDNS) goes out of the namespace's own LAN interface
    ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', hostEnd)
    names.push(ns)
  }
  return names
}

interface Reported { peerId: string, peers: number, height: number, tip: string }

function runIn (ns: string, configFile: string): { child: ChildProcess, last: () => Reported | undefined } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', fixture, configFile], { stdio: ['ignore', 'pipe', 'pipe'], cwd: process.cwd() })
  let last: Reported | undefined
  let buffered = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop()!
    for (const line of lines) { try { last = JSON.parse(line) as Reported } catch {} }
  })
  cleanup.add(async () => {
    if (child.exitCode !== null) return
    child.kill('SIGTERM')
    await waitFor(() => child.exitCode !== null, 'node in namespace to stop', 15_000).catch(() => child.kill('SIGKILL'))
  })
  return { child, last: () => last }
}

describe('mDNS discovery in network namespaces', () => {
  it.skipIf(!isRoot())('three hosts find each other with no bootstrap list (needs root for ip netns)', async () => {
    const prefix = `mc${process.pid % 10000}`
    const hosts = makeLan(prefix, 3)
    const nodes = hosts.map((ns, i) => {
      const dir = cleanup.tempDir()
      const config = testConfig(i === 0 ? 'miner' : 'full', dir, { p2p: { host: '0.0.0.0', port: 0, bootstrap: [], mdns: true, maxPeers: 32 } })
      const file = join(dir, 'config.json')
      writeFileSync(file, JSON.stringify(config))
      return runIn(ns, file)
    })
    // start-up (tsx compiles the sources) and discovery get separate deadlines:
    // on a loaded machine the start alone took most of one shared minute
    await waitFor(() => nodes.every(n => n.last() !== undefined), 'every node to start', 150_000, 200)
    await waitFor(() => nodes.every(n => (n.last()?.peers ?? 0) >= 2), 'every node to discover both others by mDNS', 60_000)
    expect(new Set(nodes.map(n => n.last()!.peerId)).size).toBe(3)
  }, 240_000)
})
