export declare const HEAP_GROWING_PERCENT: number
/** Sets V8's heap growing factor unless Node was given one; returns the percent in force (undefined: V8's own heuristic). */
export declare function boundHeapGrowth (env?: NodeJS.ProcessEnv, execArgv?: readonly string[]): number | undefined
export declare const NEW_SPACE_MIB: number
/** Whether a semi-space of `semi` bytes may double and stay within `limit` bytes. */
export declare function mayDouble (semi: number, limit: number): boolean
export interface NewSpaceBound {
  mib: number
  asCompiled: <T>(fn: () => T) => T
  stop: () => void
}
/** Keeps the main isolate's new space within MINICOIN_NEW_SPACE_MIB (default NEW_SPACE_MIB) unless Node was given a semi-space flag; undefined when off. */
export declare function boundNewSpace (env?: NodeJS.ProcessEnv, execArgv?: readonly string[]): NewSpaceBound | undefined
