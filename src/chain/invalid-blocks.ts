// Why blocks were found invalid, kept so that the same block (or one built
// on it) is refused at once the next time, without spending work on it.
// Bounded: the oldest reasons are dropped (a block not in the index is then
// checked again from scratch, which is only slower, never wrong).
import { ValidationError } from '../core/errors.js'
import { isInvalid, type BlockIndex } from './block-index.js'

const MAX_REASONS = 1000

export class InvalidBlocks {
  private readonly reasons = new Map<string, ValidationError>()

  constructor (private readonly index: BlockIndex) {}

  remember (hashHex: string, err: ValidationError): void {
    this.reasons.set(hashHex, err)
    while (this.reasons.size > MAX_REASONS) this.reasons.delete(this.reasons.keys().next().value as string)
  }

  reasonFor (hashHex: string): ValidationError | undefined {
    return this.reasons.get(hashHex)
  }

  /** Was this block rejected (whether or not it is in the index)? */
  rejected (hashHex: string): boolean {
    return this.reasons.has(hashHex)
  }

  /** Throws when a header is known invalid or builds on a block known invalid. */
  refuse (hashHex: string, parentHex: string, what: 'header' | 'block'): void {
    const known = this.index.get(hashHex)
    if (known !== undefined && isInvalid(known)) throw new ValidationError('block-known-invalid', `${what} ${hashHex} is known to be invalid`)
    const reason = this.reasons.get(hashHex)
    if (reason !== undefined) throw reason
    const parent = this.index.get(parentHex)
    if (this.reasons.has(parentHex) || (parent !== undefined && isInvalid(parent))) {
      throw new ValidationError('block-invalid-parent', `${what} ${hashHex} builds on invalid block ${parentHex}`)
    }
  }
}
