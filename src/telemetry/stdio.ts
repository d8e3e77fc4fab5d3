// Writing to stdout/stderr that may have gone away. When the reader of a
// pipe exits (`minicoin node 2>&1 | head`, or the devnet parent dies), a
// write fails with EPIPE and the stream emits 'error'. Unhandled, that error
// became an uncaught exception whose handler logged it, which wrote to the
// same dead pipe again: a loop of next-tick errors that pinned a core and
// starved the event loop, so SIGTERM was never handled. Here a stream that
// failed once is marked closed and later writes to it are dropped; the loss
// is noted once on the other stream if that one still works.
export type StdStream = 'stdout' | 'stderr'

const closed = new Set<StdStream>()
let guarded = false

function streamOf (name: StdStream): NodeJS.WriteStream {
  return name === 'stdout' ? process.stdout : process.stderr
}

function markClosed (name: StdStream, err: unknown): void {
  if (closed.has(name)) return
  closed.add(name)
  const other: StdStream = name === 'stdout' ? 'stderr' : 'stdout'
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? (err as Error | undefined)?.message ?? 'closed'
  writeStd(other, `minicoin: ${name} is closed (${code}); its output is dropped from now on\n`)
}

/** Handles write errors on process.stdout/stderr (idempotent; writeStd calls it). */
export function guardStdio (): void {
  if (guarded) return
  guarded = true
  for (const name of ['stdout', 'stderr'] as const) {
    streamOf(name).on('error', (err) => markClosed(name, err))
  }
}

/** Whether `name` failed a write and its output is being dropped. */
export function isStdClosed (name: StdStream): boolean {
  return closed.has(name)
}

/** Writes `text` to stdout or stderr; dropped once that stream has failed. Never throws. */
export function writeStd (name: StdStream, text: string): void {
  guardStdio()
  const stream = streamOf(name)
  if (closed.has(name)) return
  if (stream.destroyed || stream.writableEnded) {
    markClosed(name, new Error('destroyed'))
    return
  }
  try {
    stream.write(text)
  } catch (err) {
    markClosed(name, err)
  }
}
