// `force` reaches the wallet from the API body and from `minicoin wallet send
// --force`; without it nothing is forced. The wallet view carries the
// confirmations the CLI prints.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApiServer, type ApiServer } from '../../src/api/server.js'
import { main } from '../../src/cli/main.js'
import type { CliIo } from '../../src/cli/io.js'
import { ApiError } from '../../src/api/api-error.js'
import type { SendOptions, SendResult, WalletView } from '../../src/node/node-api.js'
import { silentLogger } from '../../src/telemetry/logger.js'
import { FakeNode, fakeAddress, fakeHash } from '../support/fake-node.js'

class CappedNode extends FakeNode {
  readonly sends: Array<SendOptions | undefined> = []

  override async send (to: string, amount: bigint, fee?: bigint, options?: SendOptions): Promise<SendResult> {
    this.sends.push(options)
    if (fee !== undefined && fee > 100_000_000n && options?.force !== true) throw new ApiError(400, 'fee-too-high', 'the fee is above the cap; force it')
    return await super.send(to, amount, fee)
  }

  override async wallet (): Promise<WalletView> {
    const w = await super.wallet()
    return { ...w, confirmationsRequired: 6, transactions: [{ txid: fakeHash(10, 'cd'), delta: '-150000000', height: 9, confirmations: 2, confirmed: false }, { txid: fakeHash(11, 'cd'), delta: '5000000000', height: 1, confirmations: 10, confirmed: true }] }
  }
}

async function cli (argv: string[]): Promise<{ code: number, out: string, err: string }> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: t => { out.push(t) }, err: t => { err.push(t) }, env: {}, cwd: process.cwd(), stdinIsTTY: false, readStdin: async () => '' }
  const code = await main(argv, io)
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe('wallet send: force and the fee cap', () => {
  let dir: string
  let node: CappedNode
  let server: ApiServer
  const to = fakeAddress(42)

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'minicoin-force-'))
    node = new CappedNode()
    server = await startApiServer({ node, host: '127.0.0.1', port: 0, cookieFile: join(dir, '.cookie'), webDir: join(dir, 'web'), log: silentLogger })
  })
  afterAll(async () => {
    await server.close()
    await rm(dir, { recursive: true, force: true })
  })

  const post = async (body: unknown): Promise<{ status: number, json: any }> => {
    const res = await fetch(`${server.url}/api/wallet/send`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` }, body: JSON.stringify(body) })
    return { status: res.status, json: await res.json() }
  }

  it('the API passes force: true to the wallet, refuses a non-boolean, and forces nothing by default', async () => {
    let r = await post({ to, amount: '1000', fee: '200000000' })
    expect(r.status).toBe(400)
    expect(r.json.error.code).toBe('fee-too-high')
    expect(node.sends.at(-1)?.force).not.toBe(true)
    r = await post({ to, amount: '1000', fee: '200000000', force: true })
    expect(r.status).toBe(200)
    expect(node.sends.at(-1)).toEqual({ force: true })
    const before = node.sends.length
    r = await post({ to, amount: '1000', fee: '200000000', force: 'yes' })
    expect(r.status).toBe(400)
    expect(r.json.error.code).toBe('bad-field')
    expect(node.sends.length).toBe(before)
  })

  it('the CLI sends force only with --force', async () => {
    const target = ['--api', server.url, '--cookie', join(dir, '.cookie')]
    let r = await cli(['wallet', 'send', to, '1000sat', '--fee', '2', ...target])
    expect(r.code).not.toBe(0)
    expect(r.err).toMatch(/fee-too-high|above the cap/)
    r = await cli(['wallet', 'send', to, '1000sat', '--fee', '2', '--force', ...target])
    expect(r.code).toBe(0)
    expect(node.sends.at(-1)).toEqual({ force: true })
  })

  it('the CLI shows confirmations: the required depth and each transaction\'s', async () => {
    let r = await cli(['wallet', 'balance', '--api', server.url])
    expect(r.out).toMatch(/^confirmed at +6 confirmations$/m)
    r = await cli(['wallet', 'transactions', '--api', server.url])
    expect(r.code).toBe(0)
    expect(r.out.split('\n')).toEqual([
      `${fakeHash(10, 'cd')}  -1.50000000 MC  2 confirmations (not yet confirmed)`,
      `${fakeHash(11, 'cd')}  +50.00000000 MC  10 confirmations`
    ])
  })
})
