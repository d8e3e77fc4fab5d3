// Main-thread work of block connect and mempool acceptance, two source trees
// side by side in one process, alternating trials, with a verifier that
// answers "valid" at once: everything but the signature checks is timed, which
// on a shared machine moves far less than the signature-bound benches.
//   npx tsx scripts/ab-main-thread.ts <old tree> <new tree> [trials=8]
// (e.g. an old commit unpacked with `git archive <commit> | tar -x -C /tmp/old`
// and a node_modules symlink). The workload is bench/chain.bench.ts's.
import { resolve } from 'node:path'
const [oldRoot, newRoot] = process.argv.slice(2, 4).map(p => resolve(p))
if (oldRoot === undefined || newRoot === undefined) {
  process.stderr.write('usage: npx tsx scripts/ab-main-thread.ts <old tree> <new tree> [trials]\n')
  process.exit(2)
}
const trees = { base: oldRoot, new: newRoot }
type Mods = { Chain: any, Mempool: any, encoding: any, params: any }
async function load (root: string): Promise<Mods> {
  return {
    Chain: (await import(root + '/src/chain/chain.ts')).Chain,
    Mempool: (await import(root + '/src/mempool/mempool.ts')).Mempool,
    encoding: await import(root + '/src/core/encoding.ts'),
    params: (await import(root + '/src/core/params.ts')).regtest
  }
}
const fx = await import(trees.new + '/bench/support/chain-fixtures.ts')
const { txid } = await import(trees.new + '/src/core/tx.ts')
const { regtest } = await import(trees.new + '/src/core/params.ts')
const fake = { backend: 'noble', verifyBatch: async (c: unknown[]) => c.map(() => true), close: async () => {} }
// workload as bench/chain.bench.ts
const miner = fx.newKey()
const mined = fx.mineChain(fx.genesisTip(), regtest.coinbaseMaturity + 3, miner)
const keys = Array.from({ length: 64 }, () => fx.newKey())
const fanouts: any[] = []; const coins: any[] = []
for (let f = 0; f < 3; f++) {
  const cb = mined.coinbases[f]; const each = (cb.amount - 100_000n) / 2000n
  const tx = fx.spend([cb], Array.from({ length: 2000 }, (_, i) => ({ address: keys[(f * 2000 + i) % 64].address, amount: each })))
  fanouts.push(tx); const id = txid(tx)
  tx.outputs.forEach((o: any, index: number) => coins.push({ txid: id, index, amount: o.amount, key: keys[(f * 2000 + index) % 64] }))
}
const fanBlock = fx.mineBlock(mined.tip, fanouts, miner, { fees: fanouts.reduce((s: bigint, tx: any, f: number) => s + mined.coinbases[f].amount - tx.outputs.reduce((a: bigint, o: any) => a + o.amount, 0n), 0n) })
const tip = fx.tipOf(fanBlock, mined.tip.height + 1)
const txs: any[] = []
for (let i = 0; i < 3000; i++) { const a = coins[2 * i], b = coins[2 * i + 1]; const total = a.amount + b.amount - 1000n; txs.push(fx.spend([a, b], [{ address: a.key.address, amount: total / 2n }, { address: b.key.address, amount: total - total / 2n }])) }
const big = fx.mineBlock(tip, txs, miner, { fees: 1000n * 3000n })
const prefix = [...mined.blocks, fanBlock]
const mods: Record<string, Mods> = { base: await load(trees.base), new: await load(trees.new) }
const bytes = mods.new.encoding.encodeBlock(big)
const txBytes = txs.map(tx => mods.new.encoding.encodeTx(tx))
const all = {}
const best: Record<string, { connect: number, accept: number }> = { base: { connect: Infinity, accept: Infinity }, new: { connect: Infinity, accept: Infinity } }
for (let trial = 0; trial < Number(process.argv[4] ?? 8); trial++) {
  for (const name of ['base', 'new']) {
    const m = mods[name]
    for (const what of ['connect', 'accept'] as const) {
      const dir = fx.tempDir('minicoin-ab-')
      const chain = await m.Chain.open({ location: dir.path, params: m.params, verifier: fake })
      for (const b of prefix) await chain.processBlock(m.encoding.decodeBlock(m.encoding.encodeBlock(b), 1e9))
      let ms: number
      if (what === 'connect') {
        const block = m.encoding.decodeBlock(bytes, m.params.maxBlockSize)
        const t = performance.now(); const r = await chain.processBlock(block); ms = performance.now() - t
        if (r.status !== 'connected') throw new Error(r.status)
      } else {
        const pool = new m.Mempool({ chain, verifier: fake })
        const decoded = txBytes.map(b => m.encoding.decodeTx(b, 1e6))
        const t = performance.now()
        for (let i = 0; i < decoded.length; i += 500) await Promise.all(decoded.slice(i, i + 500).map((tx: any) => pool.accept(tx)))
        ms = performance.now() - t
        if (pool.size !== 3000) throw new Error('pool ' + pool.size)
      }
      best[name][what] = Math.min(best[name][what], ms); (all as any)[name + "_" + what] = [...((all as any)[name + "_" + what] ?? []), Math.round(ms)]
      await chain.close(); dir.remove()
    }
  }
  console.log(`trial ${trial} load ${(await import('node:os')).loadavg()[0].toFixed(1)}`, JSON.stringify(best))
}
console.log(JSON.stringify(all))
console.log(JSON.stringify({ bench: "overhead_block_connect_3000tx_no_sigs", base_ms: +best.base.connect.toFixed(1), new_ms: +best.new.connect.toFixed(1) }))
console.log(JSON.stringify({ bench: 'overhead_mempool_accept_3000tx_no_sigs', base_us_per_tx: +(best.base.accept / 3).toFixed(1), new_us_per_tx: +(best.new.accept / 3).toFixed(1) }))
process.exit(0)
