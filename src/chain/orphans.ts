// Blocks whose parent is not known yet, held until it arrives. Bounded in
// count and bytes: the oldest orphan goes first when the pool is full.
import { blockHashHex } from '../core/block.js'
import { toHex, fromHex } from '../core/bytes.js'
import type { Block } from '../core/types.js'
import { blockSize } from '../core/validate.js'

export class OrphanPool {
  private readonly blocks = new Map<string, Block>()
  private readonly byParent = new Map<string, Set<string>>()
  private bytesHeld = 0

  constructor (private readonly max: number, private readonly maxBytes = 32 * 1024 * 1024) {}

  get bytes (): number {
    return this.bytesHeld
  }

  get size (): number {
    return this.blocks.size
  }

  has (hashHex: string): boolean {
    return this.blocks.has(hashHex)
  }

  add (block: Block): void {
    const hash = blockHashHex(block.header)
    if (this.blocks.has(hash)) return
    const size = blockSize(block)
    while (this.blocks.size > 0 && (this.blocks.size >= this.max || this.bytesHeld + size > this.maxBytes)) {
      this.remove(this.blocks.keys().next().value as string)
    }
    this.blocks.set(hash, block)
    this.bytesHeld += size
    const parent = toHex(block.header.prevHash)
    let children = this.byParent.get(parent)
    if (children === undefined) this.byParent.set(parent, children = new Set())
    children.add(hash)
  }

  /** Removes and returns the orphans waiting for `parentHex`. */
  takeChildren (parentHex: string): Block[] {
    const children = this.byParent.get(parentHex)
    if (children === undefined) return []
    const blocks = [...children].map(h => this.blocks.get(h)!).filter(Boolean)
    for (const h of children) this.remove(h)
    return blocks
  }

  private remove (hashHex: string): void {
    const block = this.blocks.get(hashHex)
    if (block === undefined) return
    this.blocks.delete(hashHex)
    this.bytesHeld -= blockSize(block)
    const parent = toHex(block.header.prevHash)
    const siblings = this.byParent.get(parent)
    siblings?.delete(hashHex)
    if (siblings?.size === 0) this.byParent.delete(parent)
  }

  /** Parents that would let orphans connect: the roots of the orphan trees. */
  missingParents (): Uint8Array[] {
    const missing = new Set<string>()
    for (const block of this.blocks.values()) {
      const parent = toHex(block.header.prevHash)
      if (!this.blocks.has(parent)) missing.add(parent)
    }
    return [...missing].map(h => fromHex(h))
  }

  /** The root parent an orphan ultimately waits for. */
  rootOf (hashHex: string): Uint8Array | undefined {
    let block = this.blocks.get(hashHex)
    if (block === undefined) return undefined
    for (;;) {
      const parent = toHex(block.header.prevHash)
      const next = this.blocks.get(parent)
      if (next === undefined) return block.header.prevHash
      block = next
    }
  }
}
