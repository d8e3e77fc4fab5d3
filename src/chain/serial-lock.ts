// Runs async state changes one at a time, in call order; a failure does not
// block the ones after it.
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve()

  async run<T> (fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn)
    this.tail = result.catch(() => {})
    return await result
  }

  /** Resolves once everything queued so far has finished. */
  async idle (): Promise<void> {
    await this.tail
  }
}
