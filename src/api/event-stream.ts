// GET /api/events: the node's events as Server-Sent Events. One listener per
// event on the node (not one per client) fans out to every open stream, so
// many dashboards cost the node nothing extra. A heartbeat comment keeps
// proxies and idle timeouts from closing quiet streams; clients that stop
// reading are dropped rather than buffered without bound.
import type { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { NodeEvents } from '../node/node-api.js'
import type { Logger } from '../telemetry/logger.js'

export const EVENT_NAMES = ['tip', 'block', 'tx', 'txRemoved', 'peer', 'proof'] as const satisfies ReadonlyArray<keyof NodeEvents>

export interface EventStreamOptions {
  maxClients?: number
  /** Streams one client address may hold (so one client cannot take every slot). */
  maxClientsPerAddress?: number
  heartbeatMs?: number
  /** A client with more than this many bytes unsent is dropped. */
  maxBufferedBytes?: number
  log: Logger
}

// What each event carries on the wire: the view itself, or an object for multi-argument events.
function payloadOf (name: keyof NodeEvents, args: unknown[]): unknown {
  if (name === 'txRemoved') return { txid: args[0], reason: args[1] }
  return args[0]
}

function replacer (_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}

export class EventStream {
  private readonly clients = new Set<ServerResponse>()
  private readonly perAddress = new Map<string, number>()
  private readonly maxPerAddress: number
  private readonly listeners = new Map<keyof NodeEvents, (...args: unknown[]) => void>()
  private readonly heartbeat: NodeJS.Timeout
  private readonly maxClients: number
  private readonly maxBufferedBytes: number
  private readonly log: Logger

  constructor (private readonly events: EventEmitter<NodeEvents>, opts: EventStreamOptions) {
    this.maxClients = opts.maxClients ?? 32
    // one browser opens at most 6 connections to a host (HTTP/1.1), so its dashboards never need more; 8 leaves room
    this.maxPerAddress = opts.maxClientsPerAddress ?? 8
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 4 * 1024 * 1024
    this.log = opts.log
    for (const name of EVENT_NAMES) {
      this.listeners.set(name, (...args: unknown[]): void => this.broadcast(name, payloadOf(name, args)))
    }
    this.heartbeat = setInterval(() => this.writeAll(': heartbeat\n\n'), opts.heartbeatMs ?? 15_000)
    this.heartbeat.unref()
  }

  get clientCount (): number {
    return this.clients.size
  }

  get full (): boolean {
    return this.clients.size >= this.maxClients
  }

  /** Whether this client address already holds its share of streams. */
  fullFor (address: string): boolean {
    return (this.perAddress.get(address) ?? 0) >= this.maxPerAddress
  }

  /** Takes over the response as an event stream until the client goes away. */
  accept (req: IncomingMessage, res: ServerResponse, address: string): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no'
    })
    // The comment makes browsers fire `open` at once; retry tells them how soon to reconnect.
    res.write('retry: 3000\n: connected\n\n')
    req.socket.setNoDelay(true)
    req.socket.setTimeout(0)
    if (this.clients.size === 0) this.listen(true)
    this.clients.add(res)
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1)
    let dropped = false
    // 'close' follows 'error' and destroy(): count each stream down exactly once
    const drop = (): void => {
      this.remove(res)
      if (dropped) return
      dropped = true
      const n = (this.perAddress.get(address) ?? 1) - 1
      if (n <= 0) this.perAddress.delete(address)
      else this.perAddress.set(address, n)
    }
    res.once('close', drop)
    res.once('error', drop)
  }

  private broadcast (name: string, payload: unknown): void {
    if (this.clients.size === 0) return
    let data: string
    try {
      data = JSON.stringify(payload, replacer)
    } catch (err) {
      this.log.warn('event not serialisable', { event: name, err })
      return
    }
    this.writeAll(`event: ${name}\ndata: ${data}\n\n`)
  }

  private writeAll (chunk: string): void {
    for (const res of this.clients) {
      if (res.writableLength > this.maxBufferedBytes) {
        this.log.debug('dropping a slow event-stream client', { buffered: res.writableLength })
        this.remove(res)
        res.destroy()
        continue
      }
      res.write(chunk)
    }
  }

  // Listening only while a stream is open: the node emits an event only when
  // someone listens (views cost time on every transaction), so an API nobody
  // watches costs nothing.
  private listen (on: boolean): void {
    const untyped = this.events as unknown as EventEmitter
    for (const [name, listener] of this.listeners) {
      if (on) untyped.on(name, listener)
      else untyped.off(name, listener)
    }
  }

  private remove (res: ServerResponse): void {
    if (this.clients.delete(res) && this.clients.size === 0) this.listen(false)
  }

  /** Detaches from the node and ends every stream. */
  close (): void {
    clearInterval(this.heartbeat)
    if (this.clients.size > 0) this.listen(false)
    this.listeners.clear()
    for (const res of this.clients) res.end()
    this.clients.clear()
  }
}
