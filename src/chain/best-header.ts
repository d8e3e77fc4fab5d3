// The header with the most work that is not known invalid, kept current as
// headers arrive so the download and sync need no scan of the index per call.
import { hasData, isInvalid, type BlockIndex, type IndexEntry } from './block-index.js'

export class BestHeader {
  /** undefined or invalid means: scan again. */
  private best: IndexEntry | undefined

  constructor (private readonly index: BlockIndex, private readonly tip: () => IndexEntry) {}

  /** The header with the most work that is not known invalid (may lack data). */
  get (): IndexEntry {
    const tip = this.tip()
    if (this.best === undefined || isInvalid(this.best) || this.best.work < tip.work) {
      let best = tip
      for (const e of this.index.entries()) if (!isInvalid(e) && e.work > best.work) best = e
      this.best = best
    }
    return this.best
  }

  /** A header just entered the index. */
  note (e: IndexEntry): void {
    if (this.best !== undefined && !isInvalid(this.best) && e.work > this.best.work) this.best = e
  }

  /** Headers we know on the best header chain whose blocks we still need, oldest first, up to `max`. */
  missingBlocks (max: number): IndexEntry[] {
    const path: IndexEntry[] = []
    for (let e: IndexEntry | undefined = this.get(); e !== undefined && !this.index.isActive(e); e = e.parent) {
      if (!hasData(e)) path.push(e)
    }
    return path.reverse().slice(0, max)
  }
}
