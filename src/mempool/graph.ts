// Walks over the graph of pending transactions (parents and children in the
// pool). Peers shape this graph, so every walk is iterative with an explicit
// stack: a chain of any depth costs time in proportion, never stack.

export interface PoolNode<T extends PoolNode<T>> {
  parents: Set<T>
  children: Set<T>
  /** Insertion order: a parent always has a smaller seq than its children. */
  seq: number
}

/**
 * In-pool ancestors reachable from `start` (not including `start` itself
 * unless a cycle says so, which the pool never builds), skipping `skip`.
 * `visit` may return false to stop the walk early (a limit was reached);
 * then the result is partial and `complete` is false.
 */
export function walkAncestors<T extends PoolNode<T>> (
  start: Iterable<T>,
  skip: (x: T) => boolean = () => false,
  visit: (x: T) => boolean = () => true
): { found: Set<T>, complete: boolean } {
  const found = new Set<T>()
  const stack: T[] = []
  for (const s of start) stack.push(s)
  while (stack.length > 0) {
    const x = stack.pop()!
    if (found.has(x) || skip(x)) continue
    found.add(x)
    if (!visit(x)) return { found, complete: false }
    for (const p of x.parents) if (!found.has(p)) stack.push(p)
  }
  return { found, complete: true }
}

/** `roots` and everything that spends from them, each once. */
export function descendantsOf<T extends PoolNode<T>> (roots: Iterable<T>): Set<T> {
  const found = new Set<T>()
  const stack: T[] = [...roots]
  while (stack.length > 0) {
    const x = stack.pop()!
    if (found.has(x)) continue
    found.add(x)
    for (const c of x.children) if (!found.has(c)) stack.push(c)
  }
  return found
}

/** Parents before children. */
export function topological<T extends PoolNode<T>> (nodes: Iterable<T>): T[] {
  return [...nodes].sort((a, b) => a.seq - b.seq)
}
