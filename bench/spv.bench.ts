// The light wallet taking in address-history proofs (issue 16.4): 20,000
// proofs of payments to one wallet, in pages of 200 as a server sends them,
// each verified against the header chain, kept, and turned into a wallet
// history line (what the SPV node does for every new proof). Before the
// outputs were indexed this was O(n^2): 2,000 proofs 1.6 s, 4,000 5.9 s.
import { type Bench, round } from './harness.js'
import { blockHash } from '../src/core/block.js'
import { regtest } from '../src/core/params.js'
import { txid } from '../src/core/tx.js'
import { merkleNodeHash } from '../src/core/merkle-hash.js'
import type { Transaction } from '../src/core/types.js'
import type { MerkleProof } from '../src/p2p/spv-messages.js'
import { HeaderChain } from '../src/spv/header-chain.js'
import { verifyProof } from '../src/spv/proof-verifier.js'
import { ProvenTransactions } from '../src/spv/proven-txs.js'
import { SpvWallet } from '../src/spv/spv-wallet.js'
import { Wallet } from '../src/wallet/wallet.js'
import { genesisTip, mineBlock, newKey, tempDir, tipOf } from './support/chain-fixtures.js'

const PROOFS = Number(process.env.SPV_BENCH_PROOFS ?? 20_000)
const PER_BLOCK = 1000
const PAGE = 200

function rand32 (): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32))
}

/** A payment to `to` from a coin we do not track (stateless checks only need the shapes right). */
function payment (to: Uint8Array, other: Uint8Array, amount: bigint): Transaction {
  const pub = new Uint8Array(33)
  pub[0] = 2
  pub.set(rand32(), 1)
  return { version: 1, inputs: [{ prevTxid: rand32(), prevIndex: 0, publicKey: pub, signature: new Uint8Array(64).fill(1) }], outputs: [{ amount, address: to }, { amount: 1n, address: other }], lockTime: 0, coinbase: new Uint8Array(0) }
}

/** Every proof of a block's transactions from one tree (branches read level by level). */
function proofsOfBlock (hash: Uint8Array, height: number, txs: Transaction[]): MerkleProof[] {
  const levels: Uint8Array[][] = [txs.map(txid)]
  while (levels[levels.length - 1].length > 1) {
    const l = levels[levels.length - 1]
    const next: Uint8Array[] = []
    for (let i = 0; i < l.length; i += 2) next.push(merkleNodeHash(l[i], l[i + 1] ?? l[i]))
    levels.push(next)
  }
  return txs.map((tx, index) => {
    const branch: Uint8Array[] = []
    let i = index
    for (let d = 0; d < levels.length - 1; d++) {
      branch.push((i ^ 1) < levels[d].length ? levels[d][i ^ 1] : levels[d][i])
      i >>= 1
    }
    return { blockHash: hash, height, index, branch, tx }
  })
}

async function ingest (): Promise<{ seconds: number, proofs: number }> {
  const dir = tempDir('minicoin-bench-spv-')
  const headers = await HeaderChain.open({ location: `${dir.path}/headers`, params: regtest })
  try {
    const keys = await Wallet.create(`${dir.path}/wallet.json`, { params: regtest, protection: { unencrypted: true } })
    const me = keys.primaryAddress().hash
    const miner = newKey()
    const proofs: MerkleProof[] = []
    let tip = genesisTip()
    for (let made = 0; made < PROOFS; made += PER_BLOCK) {
      const txs = Array.from({ length: Math.min(PER_BLOCK, PROOFS - made) }, () => payment(me, miner.address, 1000n))
      const block = mineBlock(tip, txs, miner)
      tip = tipOf(block, tip.height + 1)
      await headers.processHeaders([block.header])
      proofs.push(...proofsOfBlock(blockHash(block.header), tip.height, block.transactions).slice(1))
    }
    const proven = new ProvenTransactions(headers)
    const wallet = new SpvWallet({ wallet: keys, proven, headers, params: regtest, publish: () => {} })
    // what the SPV node does for each new proof: a wallet history line for the API's event stream
    let deltas = 0n
    proven.on('added', p => { deltas += wallet.entryOf(p).delta })
    const start = performance.now()
    for (let i = 0; i < proofs.length; i += PAGE) {
      for (const p of proofs.slice(i, i + PAGE)) proven.add(verifyProof(p, headers, regtest), 'bench-peer')
    }
    const seconds = (performance.now() - start) / 1000
    if (deltas !== 1000n * BigInt(proofs.length) || wallet.balance().confirmed !== deltas) throw new Error('bench: wrong wallet total')
    return { seconds, proofs: proofs.length }
  } finally {
    await headers.close()
    dir.remove()
  }
}

export const benches: Bench[] = [
  {
    name: 'spv_proof_ingest',
    group: 'chain',
    run: async () => {
      const { seconds, proofs } = await ingest()
      return [{
        bench: `spv_proof_ingest_${proofs}`,
        value: round(proofs / seconds),
        unit: 'proofs/s',
        seconds: round(seconds, 2),
        reference: 'before the indexes: 2,000 proofs 1.6 s, 4,000 5.9 s (O(n^2))'
      }]
    }
  }
]
