export declare function runDaemonScript (file: string, options?: { env?: NodeJS.ProcessEnv, readyEvent?: string }): { cache: string, exports: unknown, saved: Promise<boolean> }
