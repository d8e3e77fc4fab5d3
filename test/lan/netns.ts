// A LAN of network namespaces on one bridge (each namespace a machine, the
// bridge a switch), created and always deleted: by the test's cleanup, and
// on SIGINT/SIGTERM/exit of the test process too. Names contain "slan".
import { execFileSync } from 'node:child_process'

function ip (...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' })
}

export class Lan {
  readonly prefix: string
  readonly hosts: string[] = []
  private readonly namespaces: string[] = []
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.destroy()
    process.kill(process.pid, signal)
  }

  private readonly onExit = (): void => { this.destroy() }

  constructor (readonly count: number) {
    // interface names are at most 15 characters: slan<4 digits><v|b><index>
    this.prefix = `slan${process.pid % 10000}`
    process.once('SIGINT', this.onSignal)
    process.once('SIGTERM', this.onSignal)
    process.once('exit', this.onExit)
  }

  /** The address of host i (1-based last octet). */
  address (i: number): string {
    return `10.78.${process.pid % 200}.${i + 1}`
  }

  create (): void {
    const bridge = `${this.prefix}br`
    ip('netns', 'add', bridge)
    this.namespaces.push(bridge)
    ip('-n', bridge, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', bridge, 'link', 'set', 'br0', 'up')
    for (let i = 0; i < this.count; i++) {
      const ns = `${this.prefix}h${i}`
      ip('netns', 'add', ns)
      this.namespaces.push(ns)
      const hostEnd = `${this.prefix}v${i}`
      const bridgeEnd = `${this.prefix}b${i}`
      ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', bridgeEnd)
      ip('link', 'set', hostEnd, 'netns', ns)
      ip('link', 'set', bridgeEnd, 'netns', bridge)
      ip('-n', bridge, 'link', 'set', bridgeEnd, 'master', 'br0')
      ip('-n', bridge, 'link', 'set', bridgeEnd, 'up')
      ip('-n', ns, 'addr', 'add', `${this.address(i)}/24`, 'dev', hostEnd)
      ip('-n', ns, 'link', 'set', hostEnd, 'up')
      ip('-n', ns, 'link', 'set', 'lo', 'up')
      // multicast (mDNS) goes out of the namespace's own LAN interface
      ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', hostEnd)
      this.hosts.push(ns)
    }
  }

  /** Deletes every namespace made (their veths go with them); idempotent. */
  destroy (): void {
    for (const ns of this.namespaces.splice(0).reverse()) {
      try { ip('netns', 'del', ns) } catch {}
    }
    process.off('SIGINT', this.onSignal)
    process.off('SIGTERM', this.onSignal)
    process.off('exit', this.onExit)
  }
}
