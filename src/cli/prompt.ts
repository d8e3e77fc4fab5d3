// Reading a secret from the terminal without echoing it.
import { CliError } from './errors.js'

export async function promptSecret (question: string): Promise<string> {
  const stdin = process.stdin
  if (stdin.isTTY !== true) throw new CliError('cannot prompt: stdin is not a terminal')
  process.stderr.write(question)
  stdin.setRawMode(true)
  stdin.resume()
  stdin.setEncoding('utf8')
  return await new Promise<string>((resolve, reject) => {
    let answer = ''
    const done = (err?: Error): void => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
      if (err !== undefined) reject(err)
      else resolve(answer)
    }
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done()
        if (ch === '\u0003') return done(new CliError('cancelled', 130))
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1)
        else if (ch >= ' ') answer += ch
      }
    }
    stdin.on('data', onData)
  })
}
