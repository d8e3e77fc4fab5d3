// SIGINT/SIGTERM for long-running commands: the first asks for a clean stop,
// a later one means "now". A repeat within a second is the same Ctrl-C
// delivered twice, not impatience: under `npm start` the terminal's SIGINT
// reaches this process directly AND npm forwards its own copy.
export const SAME_SIGNAL_WINDOW_MS = 1000

export function onStopSignals (onFirst: (signal: NodeJS.Signals) => void, onRepeat: (signal: NodeJS.Signals) => void): () => void {
  let firstAt: number | undefined
  const handler = (signal: NodeJS.Signals): void => {
    if (firstAt === undefined) {
      firstAt = Date.now()
      onFirst(signal)
    } else if (Date.now() - firstAt >= SAME_SIGNAL_WINDOW_MS) {
      onRepeat(signal)
    }
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}

/** The conventional exit status after a signal: 128 + its number. */
export function signalExitCode (signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1
}
