// The block half of the download, split out of block-fetcher.ts (which keeps
// the header sync): the blocks of the best header chain that we lack, fetched
// from several peers in parallel, two workers per peer sharing one queue.
// Blocks are processed in chain order, a reply's consecutive blocks as one
// run that connects as it is stored (one write, Chain.processBlocks), with
// their signatures verified on arrival; a worker whose request fails hands
// its blocks back to the others.
import { blockHashHex } from '../core/block.js'
import { toHex } from '../core/bytes.js'
import { ValidationError } from '../core/errors.js'
import type { Block } from '../core/types.js'
import type { Chain } from '../chain/chain.js'
import { hasData, isInvalid, type IndexEntry } from '../chain/block-index.js'
import type { Logger } from '../telemetry/logger.js'
import type { WireLimits } from './protocols.js'
import type { PeerReputation } from './reputation.js'
import { PeerAction } from './peer-actions.js'
import type { PeerChainState, PeerStatus, SyncRequestFn } from './peer-status.js'
import { ChangeSignal, ReplySizer } from './download-pacing.js'

/** How often a worker with nothing to take looks for blocks another worker handed back. */
const HAND_BACK_POLL_MS = 20
/**
 * Signatures in one reply from which the verify workers are started for
 * it (SignatureVerifier.prepare): as many as make the node's lazy pool
 * start them for a single batch (lazy-verifier-pool.ts, startFrom). A
 * reply's blocks reach the pool one small batch a block, each of which it
 * would verify on this thread until a second's worth had been; blocks
 * without spends (a quiet chain's) start nothing.
 */
const PREPARE_FROM_SIGNATURES = 256

export interface BlockDownloadParts {
  chain: Chain
  limits: WireLimits
  peers: PeerStatus
  reputation: PeerReputation
  request: SyncRequestFn
  log: Logger
  /** A downloaded block was processed. */
  onBlock?: () => void
  /** Signatures in a reply from which the verifier is prepared (default PREPARE_FROM_SIGNATURES). */
  prepareFromSignatures?: number
}

export class BlockDownload {
  private stopped = false
  /** Blocks being fetched by some worker. */
  private readonly inFlight = new Set<string>()
  /** How many blocks a request asks for. */
  private readonly sizer: ReplySizer
  /**
   * Blocks handed to the chain and not yet processed: a run on one of them
   * may be handed over too (the chain takes runs in call order, and stages
   * the next while the previous one's write is in flight).
   */
  private readonly handed = new Set<string>()
  /** Notified whenever a downloaded block was processed or a batch let go of its blocks. */
  private readonly progress = new ChangeSignal()

  constructor (private readonly p: BlockDownloadParts) {
    this.sizer = new ReplySizer(p.limits.blocksPerReply)
  }

  /** Stops asking at once: requests failing from now on are not the peers' fault. */
  halt (): void {
    this.stopped = true
    // workers waiting for another's block stop waiting
    this.progress.notify()
  }

  /** Downloads every missing block of the best header chain from peers that have it; true if our chain grew. */
  async downloadBlocks (): Promise<boolean> {
    const chain = this.p.chain
    const startHeight = chain.height
    // one walk of the header chain per round; workers share the queue
    const queue = chain.missingBlocks(Number.MAX_SAFE_INTEGER)
    if (queue.length === 0) return false
    const workers: Array<Promise<void>> = []
    for (const state of this.p.peers.states.values()) {
      const has = this.blocksPeerHas(state)
      if (has.size === 0) continue
      // two requests in flight per peer keep each pipe busy
      workers.push(this.downloadWorker(state, queue, has), this.downloadWorker(state, queue, has))
    }
    await Promise.all(workers)
    return chain.height > startHeight
  }

  /**
   * Blocks off our active chain that a peer holds: the branch below its tip.
   * A peer's height alone says nothing about which branch it is on.
   */
  private blocksPeerHas (state: PeerChainState): Set<string> {
    const chain = this.p.chain
    const has = new Set<string>()
    for (let e = chain.getEntry(state.tip) ?? state.proven; e !== undefined && !chain.index.isActive(e); e = e.parent) has.add(e.hashHex)
    return has
  }

  /** Takes up to a reply's worth of blocks this peer has from the front of the queue. */
  private takeBatch (queue: IndexEntry[], has: Set<string>): IndexEntry[] {
    const batch: IndexEntry[] = []
    const max = this.sizer.count
    for (let i = 0; i < queue.length && batch.length < max; i++) {
      const e = queue[i]
      if (hasData(e) || isInvalid(e)) { queue.splice(i--, 1); continue }
      if (!has.has(e.hashHex) || this.inFlight.has(e.hashHex)) continue
      batch.push(e)
    }
    return batch
  }

  /** Whether blocks this peer could serve are still being fetched by another worker. */
  private othersFetching (queue: IndexEntry[], has: Set<string>): boolean {
    return queue.some(e => !hasData(e) && has.has(e.hashHex) && this.inFlight.has(e.hashHex))
  }

  private async downloadWorker (state: PeerChainState, queue: IndexEntry[], has: Set<string>): Promise<void> {
    const peerId = state.peer.toString()
    const reputation = this.p.reputation
    let failures = 0
    while (!this.stopped && failures < 3 && this.p.peers.states.has(peerId)) {
      const batch = this.takeBatch(queue, has)
      if (batch.length === 0) {
        // another worker may fail and hand its blocks back: wait for it
        if (!this.othersFetching(queue, has)) return
        await new Promise(resolve => setTimeout(resolve, HAND_BACK_POLL_MS))
        continue
      }
      for (const e of batch) this.inFlight.add(e.hashHex)
      try {
        const res = await this.p.request(state.peer, { kind: 'getBlocks', hashes: batch.map(e => e.hash) })
        if (res.kind !== 'blocks') throw new Error(`unexpected ${res.kind} reply to getBlocks`)
        const wanted = new Set(batch.map(e => e.hashHex))
        this.sizer.note(res.blocks)
        const hashes = res.blocks.map(b => blockHashHex(b.header))
        // only blocks we asked for, and only up to the first unrequested one
        let requested = 0
        while (requested < hashes.length && wanted.has(hashes[requested])) requested++
        if (signatureInputs(res.blocks, requested) >= (this.p.prepareFromSignatures ?? PREPARE_FROM_SIGNATURES)) this.p.chain.expectSignatures()
        // a pipeline: these blocks' signatures are verified in the worker
        // pool while the blocks before them (this reply's and the other
        // worker's) connect
        for (let i = 0; i < requested; i++) this.p.chain.preverify(res.blocks[i])
        for (let i = 0; i < requested;) {
          // a run of blocks each on the one before connects in one write
          // (Chain.processBlocks); in chain order: a run whose parent another
          // worker is still processing waits for it
          let end = i + 1
          while (end < requested && toHex(res.blocks[end].header.prevHash) === hashes[end - 1]) end++
          const run = res.blocks.slice(i, end)
          i = end
          await this.parentProcessed(run[0], batch)
          if (this.stopped) return
          const runHashes = hashes.slice(i - run.length, i)
          for (const h of runHashes) this.handed.add(h)
          const processing = this.p.chain.processBlocks(run)
          // the next worker's run may go to the chain now
          this.progress.notify()
          let verdicts
          try {
            verdicts = await processing
          } finally {
            for (const h of runHashes) this.handed.delete(h)
          }
          // a verdict per block, as each was processed alone
          for (const verdict of verdicts) {
            if (verdict instanceof ValidationError && verdict.severity === 'reject') {
              reputation.penalize(peerId, PeerAction.INVALID_BLOCK, `sync-${verdict.code}`)
              return
            }
            this.p.onBlock?.()
            this.progress.notify()
          }
        }
        if (requested < hashes.length) {
          reputation.penalize(peerId, PeerAction.UNREQUESTED_BLOCK, 'sync-unrequested-block')
          return
        }
        if (res.blocks.length === 0) failures++
      } catch (err) {
        failures++
        if (this.stopped) return
        this.p.log.debug('block download failed', { peer: peerId, err: (err as Error).message })
      } finally {
        for (const e of batch) this.inFlight.delete(e.hashHex)
        this.progress.notify()
      }
    }
  }

  /**
   * Waits while the block's parent is being fetched by another worker, or
   * held by it before it hands the parent to the chain. That worker either processes it or lets go of it (a failed
   * request ends at the request timeout), so the wait is bounded; a parent
   * nobody holds does not hold the block back (it is then stored, and
   * connects when its parent arrives).
   */
  private async parentProcessed (block: Block, own: IndexEntry[]): Promise<void> {
    const parentHex = toHex(block.header.prevHash)
    if (own.some(e => e.hashHex === parentHex)) return
    for (;;) {
      if (this.stopped || !this.inFlight.has(parentHex) || this.handed.has(parentHex)) return
      const parent = this.p.chain.getEntry(parentHex)
      if (parent === undefined || hasData(parent)) return
      await this.progress.changed()
    }
  }
}

/** Inputs of the first `count` blocks (a coinbase has none): one signature each. */
function signatureInputs (blocks: Block[], count: number): number {
  let n = 0
  for (let b = 0; b < count; b++) for (const tx of blocks[b].transactions) n += tx.inputs.length
  return n
}
