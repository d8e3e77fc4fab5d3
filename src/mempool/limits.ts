// Package limits on chains of unconfirmed transactions (Bitcoin Core's
// -limitancestorcount/-limitancestorsize/-limitdescendantcount/
// -limitdescendantsize): they bound every walk over the pool's graph, so a
// peer cannot make template building, block connection or eviction cost more
// than a few dozen steps per transaction.
import { ValidationError } from '../core/errors.js'
import { walkAncestors, type PoolNode } from './graph.js'

export interface MempoolLimits {
  /** Most in-pool ancestors of a transaction, counting itself. */
  ancestors: number
  /** Most bytes of a transaction with its in-pool ancestors. */
  ancestorBytes: number
  /** Most in-pool descendants of any transaction, counting itself. */
  descendants: number
  /** Most bytes of any transaction with its in-pool descendants. */
  descendantBytes: number
}

/** Bitcoin Core's defaults: 25 transactions and 101 kvB either way. */
export const DEFAULT_LIMITS: MempoolLimits = { ancestors: 25, ancestorBytes: 101_000, descendants: 25, descendantBytes: 101_000 }

interface LimitNode<T extends LimitNode<T>> extends PoolNode<T> {
  size: number
  descCount: number
  descSize: number
}

/** What a transaction without pending parents has: shared, so never changed (ReadonlySet). */
const NO_ANCESTORS: ReadonlySet<never> = new Set<never>()

/**
 * The in-pool ancestors of a new transaction of `size` bytes spending from
 * `parents`, or a 'too-long-mempool-chain' error (severity ignore: a valid
 * transaction, just not wanted now). The walk stops at the first limit
 * crossed, so it costs at most `limits.ancestors` steps.
 */
export function ancestorsWithinLimits<T extends LimitNode<T>> (parents: ReadonlySet<T>, size: number, limits: MempoolLimits): ReadonlySet<T> {
  let count = 1
  let bytes = size
  // [IGNORE] policy: a transaction alone larger than a package may be
  if (size > limits.ancestorBytes || size > limits.descendantBytes) throw new ValidationError('too-long-mempool-chain', `${size} bytes exceed the package size limit`, 'ignore')
  // no pending parent, no ancestor: the common case, without a walk (or a set) per transaction
  if (parents.size === 0) return NO_ANCESTORS
  let why = ''
  const { found, complete } = walkAncestors<T>(parents, undefined, a => {
    count++
    bytes += a.size
    if (count > limits.ancestors) why = `more than ${limits.ancestors - 1} unconfirmed ancestors`
    else if (bytes > limits.ancestorBytes) why = `unconfirmed ancestors with it exceed ${limits.ancestorBytes} bytes`
    else if (a.descCount + 1 > limits.descendants) why = `an ancestor would have more than ${limits.descendants - 1} unconfirmed descendants`
    else if (a.descSize + size > limits.descendantBytes) why = `an ancestor's unconfirmed descendants would exceed ${limits.descendantBytes} bytes`
    return why === ''
  })
  // [IGNORE] policy: chains of unconfirmed transactions are bounded
  if (!complete) throw new ValidationError('too-long-mempool-chain', why, 'ignore')
  return found
}
