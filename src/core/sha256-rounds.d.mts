export declare const K: Int32Array
export declare const IV: Int32Array
/** Fills w[from..63] from w[0..from-1]. */
export declare function expand (w: Int32Array, from: number): void
/** Runs rounds from..to-1 of the compression function on `st` in place (no feed-forward). */
export declare function rounds (st: Int32Array, w: Int32Array, from: number, to: number): void
