// Gossip: topic validators, verdict bookkeeping (metrics, penalties, bans in
// one place) and a paced publish queue. Messages are unsigned and identified
// by the hash of their content: transactions and blocks authenticate
// themselves, and identical content from two peers is one message.
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Logger } from '../telemetry/logger.js'
import type { NodeMetrics } from '../telemetry/metrics.js'
import type { Node } from './host.js'
import type { PeerReputation } from './reputation.js'
import { GOSSIP_BAN_SCORE } from './gossip-scoring.js'
import type { TopicName, Topics } from './protocols.js'
import { judge, VERDICT_PENALISES, type GossipOutcome, type GossipValidator, type GossipVerdict } from './validation/result.js'

export type { TopicName }

/** Methods of the gossipsub implementation its public interface does not declare. */
interface GossipSubInternals {
  getScore: (peerId: string) => number
  getMeshPeers: (topic: string) => string[]
}

const RESULT: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject
}

interface QueuedMessage { topic: TopicName, data: Uint8Array, queuedAt: number }

export interface GossipOptions {
  node: Node
  topics: Topics
  reputation: PeerReputation
  metrics?: NodeMetrics
  log: Logger
  /** Messages per second the publish queue sends at most. */
  publishRate?: number
  /** Queued messages wait this long for a peer on their topic, then are dropped. */
  maxQueueMs?: number
  maxQueue?: number
}

export class GossipService {
  private readonly node: Node
  readonly topics: Topics
  private readonly reputation: PeerReputation
  private readonly metrics?: NodeMetrics
  private readonly log: Logger
  private readonly queue: QueuedMessage[] = []
  private readonly publishRate: number
  private readonly maxQueueMs: number
  private readonly maxQueue: number
  private pumping = false
  private stopped = false
  private wake: (() => void) | undefined
  private readonly onHeartbeat = (): void => this.enforceScores()
  private readonly onSubscriptionChange = (): void => this.wake?.()

  constructor (opts: GossipOptions) {
    this.node = opts.node
    this.topics = opts.topics
    this.reputation = opts.reputation
    this.metrics = opts.metrics
    this.log = opts.log
    this.publishRate = opts.publishRate ?? 2000
    this.maxQueueMs = opts.maxQueueMs ?? 120_000
    this.maxQueue = opts.maxQueue ?? 20_000
  }

  private get pubsub (): Node['services']['pubsub'] & GossipSubInternals {
    return this.node.services.pubsub as Node['services']['pubsub'] & GossipSubInternals
  }

  /** Subscribes to `topic` with its validator. */
  subscribe (topic: TopicName, validate: GossipValidator): void {
    const name = this.topics[topic]
    this.pubsub.topicValidators.set(name, async (peerId, msg) => {
      const from = peerId.toString()
      const outcome = await judge(validate, msg.data, from)
      this.account(topic, from, outcome)
      return RESULT[outcome.verdict]
    })
    this.pubsub.subscribe(name)
  }

  /** The metric, the log and the penalty of a verdict, for every topic. */
  private account (topic: TopicName, from: string, outcome: GossipOutcome): void {
    this.metrics?.gossipMessagesTotal.inc({ topic, result: outcome.verdict })
    if (outcome.error !== undefined) this.log.warn('gossip validator failed', { topic, peer: from, err: outcome.error.message })
    if (VERDICT_PENALISES[outcome.verdict]) {
      this.log.info('rejected gossip message', { topic, peer: from, code: outcome.code })
      // gossipsub scores the invalid delivery once it has processed the verdict
      setImmediate(() => this.enforceScore(from))
    }
  }

  start (): void {
    this.pubsub.addEventListener('gossipsub:heartbeat', this.onHeartbeat)
    this.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
  }

  stop (): void {
    this.stopped = true
    this.pubsub.removeEventListener('gossipsub:heartbeat', this.onHeartbeat)
    this.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.wake?.()
  }

  score (peerId: string): number {
    try {
      return this.pubsub.getScore(peerId)
    } catch {
      return 0
    }
  }

  private enforceScore (peerId: string): void {
    if (this.score(peerId) < GOSSIP_BAN_SCORE) this.reputation.ban(peerId, 'gossip-score')
  }

  private enforceScores (): void {
    for (const p of this.pubsub.getPeers()) this.enforceScore(p.toString())
  }

  /** Peers subscribed to a topic. */
  subscribers (topic: TopicName): number {
    return this.pubsub.getSubscribers(this.topics[topic]).length
  }

  meshPeers (topic: TopicName): number {
    return this.pubsub.getMeshPeers(this.topics[topic]).length
  }

  /**
   * Queues a message that this node has already validated. Delivery is paced
   * (a burst is spread out, not dropped) and waits for a peer on the topic
   * instead of failing right after connect.
   */
  publish (topic: TopicName, data: Uint8Array): void {
    if (this.stopped) return
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift()
      this.log.warn('publish queue full: dropped the oldest message')
    }
    this.queue.push({ topic, data, queuedAt: Date.now() })
    // a running pump picks it up; waking it here would defeat the pacing
    if (!this.pumping) void this.pump()
  }

  get queued (): number {
    return this.queue.length
  }

  private async pump (): Promise<void> {
    this.pumping = true
    const interval = 1000 / this.publishRate
    let next = performance.now()
    try {
      while (!this.stopped && this.queue.length > 0) {
        this.dropExpired()
        // the first message whose topic has a peer: a topic nobody follows
        // (e.g. blocks when only light peers are connected) must not hold up the others
        const at = this.queue.findIndex(m => this.subscribers(m.topic) > 0)
        if (at === -1) {
          await this.sleep(250)
          continue
        }
        const [item] = this.queue.splice(at, 1)
        try {
          await this.pubsub.publish(this.topics[item.topic], item.data)
        } catch (err) {
          const name = (err as Error).message ?? ''
          if (name.includes('NoPeersSubscribedToTopic') || name.includes('no peers')) {
            this.queue.splice(at, 0, item)
            await this.sleep(100)
            continue
          }
          if (!name.includes('Duplicate')) this.log.debug('publish failed', { topic: item.topic, err: name })
        }
        next += interval
        const wait = next - performance.now()
        if (wait > 1) await this.sleep(wait, false)
        else if (wait < -1000) next = performance.now()
      }
    } finally {
      this.pumping = false
    }
  }

  private dropExpired (): void {
    const cutoff = Date.now() - this.maxQueueMs
    if (this.queue.length > 0 && this.queue[0].queuedAt < cutoff) {
      const before = this.queue.length
      for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].queuedAt < cutoff) this.queue.splice(i, 1)
      this.log.debug('dropped messages no peer wanted in time', { count: before - this.queue.length })
    }
  }

  /** Waits `ms`; a wakeable wait ends early when a peer subscribes or on stop. */
  private async sleep (ms: number, wakeable = true): Promise<void> {
    await new Promise<void>(resolve => {
      const t = setTimeout(() => { this.wake = undefined; resolve() }, ms)
      if (wakeable) this.wake = () => { clearTimeout(t); this.wake = undefined; resolve() }
    })
  }
}
