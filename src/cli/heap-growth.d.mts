export declare const HEAP_GROWING_PERCENT: number
/** Sets V8's heap growing factor unless Node was given one; returns the percent in force (undefined: V8's own heuristic). */
export declare function boundHeapGrowth (env?: NodeJS.ProcessEnv, execArgv?: readonly string[]): number | undefined
