// Kills a process with SIGKILL at random moments while it connects blocks,
// then checks that the reopened database is consistent: the UTXO set equals
// one recomputed from the blocks up to the stored tip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Chain } from '../../src/chain/chain.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { regtest } from '../../src/core/params.js'
import { encodeBlock } from '../../src/core/encoding.js'
import { toHex } from '../../src/core/bytes.js'
import { isCoinbase, txid } from '../../src/core/tx.js'
import type { Block } from '../../src/core/types.js'
import { genesisTip, mineBlock, newKey, outputsOf, spend, tempDir, tipOf, type Spendable } from '../../bench/support/chain-fixtures.js'

const BLOCKS = 120
const fixture = new URL('./fixtures/connect-blocks.ts', import.meta.url).pathname

/** Blocks with real UTXO churn: each spends a mature coinbase and the previous block's outputs. */
function makeBlocks (): Block[] {
  const key = newKey()
  const blocks: Block[] = []
  const coinbases: Spendable[] = []
  let change: Spendable[] = []
  let tip = genesisTip()
  for (let h = 1; h <= BLOCKS; h++) {
    const txs = []
    const mature = coinbases[h - 1 - regtest.coinbaseMaturity]
    if (mature !== undefined) {
      const inputs = [mature, ...change]
      const total = inputs.reduce((s, c) => s + c.amount, 0n)
      const split = total / 4n
      const tx = spend(inputs, [{ address: key.address, amount: split }, { address: key.address, amount: split }, { address: key.address, amount: total - 2n * split - 1000n }])
      txs.push(tx)
      change = outputsOf(tx, key).slice(0, 2)
    }
    const block = mineBlock(tip, txs, key, { fees: txs.length > 0 ? 1000n : 0n })
    blocks.push(block)
    tip = tipOf(block, h)
    coinbases.push({ txid: txid(block.transactions[0]), index: 0, amount: block.transactions[0].outputs[0].amount, key })
  }
  return blocks
}

function expectedUtxos (blocks: Block[], height: number): Map<string, bigint> {
  const utxos = new Map<string, bigint>()
  for (const block of blocks.slice(0, height)) {
    for (const tx of block.transactions) {
      if (!isCoinbase(tx)) for (const i of tx.inputs) utxos.delete(`${toHex(i.prevTxid)}:${i.prevIndex}`)
      tx.outputs.forEach((o, index) => utxos.set(`${toHex(txid(tx))}:${index}`, o.amount))
    }
  }
  return utxos
}

function runUntilKilled (dataDir: string, blocksFile: string, killAfterLines: number, mode = 'single'): Promise<{ lines: string[], killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dataDir, blocksFile, mode], { stdio: ['ignore', 'pipe', 'pipe'] })
    const lines: string[] = []
    let buffered = ''
    let stderr = ''
    let killed = false
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const parts = buffered.split('\n')
      buffered = parts.pop()!
      for (const line of parts) {
        lines.push(line)
        if (!killed && lines.length >= killAfterLines) { killed = true; child.kill('SIGKILL') }
      }
    })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve({ lines, killed: signal === 'SIGKILL' })
      else reject(new Error(`child exited ${code}: ${stderr}`))
    })
  })
}

describe('crash safety', () => {
  let dir: ReturnType<typeof tempDir>
  let blocks: Block[]
  let blocksFile: string

  beforeAll(() => {
    dir = tempDir()
    blocks = makeBlocks()
    blocksFile = join(dir.path, 'blocks.bin')
    const parts: Buffer[] = []
    for (const b of blocks) {
      const bytes = encodeBlock(b)
      const len = Buffer.alloc(4)
      len.writeUInt32BE(bytes.length)
      parts.push(len, Buffer.from(bytes))
    }
    writeFileSync(blocksFile, Buffer.concat(parts))
  })

  afterAll(() => dir.remove())

  it.each(['single', 'runs'])('reopens consistent after SIGKILL at random moments, then finishes the chain (blocks %s)', async (mode) => {
    // runs: headers first, then blocks in runs of one write each (Chain.processBlocks); a kill lands mid-run often
    const dataDir = join(dir.path, `chain-${mode}`)
    let lastHeight = 0
    let kills = 0
    for (let round = 0; round < 12 && lastHeight < BLOCKS; round++) {
      // kill after a random number of connected blocks (1..15): lands mid-batch often
      const { killed, lines } = await runUntilKilled(dataDir, blocksFile, 2 + Math.floor(Math.random() * 15), mode)
      if (killed) kills++
      // disk first: every height the child reported connected is on disk
      const reported = Math.max(0, ...lines.filter(l => l.startsWith('height ')).map(l => Number(l.slice(7))))
      const chain = await Chain.open({ location: dataDir, params: regtest, verifier: new NobleVerifier() })
      try {
        expect(chain.height).toBeGreaterThanOrEqual(lastHeight)
        expect(chain.height).toBeGreaterThanOrEqual(reported)
        lastHeight = chain.height
        const stored = new Map<string, bigint>()
        for await (const c of chain.coins()) stored.set(`${toHex(c.txid)}:${c.index}`, c.coin.amount)
        expect(stored).toEqual(expectedUtxos(blocks, chain.height))
        expect(chain.tip.hashHex).toBe(chain.height === 0 ? regtest.genesisHash : toHex(tipOf(blocks[chain.height - 1], chain.height).hash))
        for (const b of blocks.slice(0, chain.height)) expect(chain.getTxLocation(txid(b.transactions[0]))).toBeDefined()
        for (const b of blocks.slice(chain.height)) expect(chain.getTxLocation(txid(b.transactions[0]))).toBeUndefined()
      } finally {
        await chain.close()
      }
    }
    expect(kills).toBeGreaterThan(0)
    const { lines } = await runUntilKilled(dataDir, blocksFile, Number.MAX_SAFE_INTEGER, mode)
    expect(lines.at(-1)).toBe('done')
    const chain = await Chain.open({ location: dataDir, params: regtest, verifier: new NobleVerifier() })
    try {
      expect(chain.height).toBe(BLOCKS)
      const stored = new Map<string, bigint>()
      for await (const c of chain.coins()) stored.set(`${toHex(c.txid)}:${c.index}`, c.coin.amount)
      expect(stored).toEqual(expectedUtxos(blocks, BLOCKS))
    } finally {
      await chain.close()
    }
  }, 180_000)
})
