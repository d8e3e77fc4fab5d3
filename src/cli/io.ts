// Where a command writes and what it may read, so tests can run commands in
// process and capture their output.
import { writeStd } from '../telemetry/stdio.js'

export interface CliIo {
  out: (text: string) => void
  err: (text: string) => void
  env: NodeJS.ProcessEnv
  cwd: string
  /** Interactive terminal on stdin (password prompts). */
  stdinIsTTY: boolean
  /** Everything on stdin (non-interactive input such as a piped recovery phrase). */
  readStdin: () => Promise<string>
}

async function readAll (stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks).toString('utf8')
}

export const processIo: CliIo = {
  out: (text) => { writeStd('stdout', text.endsWith('\n') ? text : text + '\n') },
  err: (text) => { writeStd('stderr', text.endsWith('\n') ? text : text + '\n') },
  env: process.env,
  cwd: process.cwd(),
  stdinIsTTY: process.stdin.isTTY === true,
  readStdin: async () => await readAll(process.stdin)
}
