export type BuildState = 'current' | 'missing' | 'stale'
export function buildState (root: URL): BuildState
