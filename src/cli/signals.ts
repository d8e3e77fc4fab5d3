// Stop signals for long-running commands: the first asks for a clean stop,
// a later one means "now". A repeat within a second is the same Ctrl-C
// delivered twice, not impatience: under `npm start` the terminal's SIGINT
// reaches this process directly AND npm forwards its own copy.
//
// SIGHUP (the terminal closed) is a stop request like SIGTERM: a node whose
// terminal is gone has nobody reading its logs and should stop cleanly, not
// die mid-write (Node's default for SIGHUP). Run it under `nohup` to keep it
// going: a SIGHUP ignored when the process started stays ignored.
import { readFileSync } from 'node:fs'

export const SAME_SIGNAL_WINDOW_MS = 1000

/** Whether SIGHUP was ignored when this process started (nohup); Linux only, else false. */
export function sighupIgnoredAtStart (): boolean {
  try {
    const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
    // bit n-1 stands for signal n; SIGHUP is 1
    return mask !== undefined && (BigInt('0x' + mask) & 1n) === 1n
  } catch {
    return false
  }
}

// read once, before any listener of ours changes the disposition
const HUP_IGNORED = sighupIgnoredAtStart()

export function stopSignals (): NodeJS.Signals[] {
  return HUP_IGNORED ? ['SIGINT', 'SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP']
}

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
  const signals = stopSignals()
  for (const s of signals) process.on(s, handler)
  return () => {
    for (const s of signals) process.off(s, handler)
  }
}

/** The conventional exit status after a signal: 128 + its number. */
export function signalExitCode (signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : signal === 'SIGHUP' ? 129 : 1
}
