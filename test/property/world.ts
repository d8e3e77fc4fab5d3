// Deterministic chain fixtures for stateful properties: fixed keys (so a
// failing seed replays the same transactions and block hashes), a regtest
// chain in a temp dir, and helpers to build blocks and spends on it.
import { Chain } from '../../src/chain/chain.js'
import { sha256 } from '../../src/core/hash.js'
import { hash160 } from '../../src/core/hash.js'
import { regtest } from '../../src/core/params.js'
import { txid } from '../../src/core/tx.js'
import type { Block, Transaction } from '../../src/core/types.js'
import { publicKeyOf } from '../../src/crypto/keys.js'
import { NobleVerifier } from '../../src/crypto/verifier.js'
import { mineChain, genesisTip, tempDir, type Key, type Spendable } from '../../bench/support/chain-fixtures.js'

export function fixedKey (i: number): Key {
  const priv = sha256(new TextEncoder().encode(`minicoin property key ${i}`))
  const pub = publicKeyOf(priv)
  return { priv, pub, address: hash160(pub) }
}

export const KEYS = [0, 1, 2, 3].map(fixedKey)

/** Ten blocks paying KEYS[0]: coinbases of heights 1..7 are mature at height 11 (maturity 3). */
export const BASE = mineChain(genesisTip(), 10, KEYS[0], 0)

export interface OpenChain {
  chain: Chain
  dir: ReturnType<typeof tempDir>
  close: () => Promise<void>
  reopen: () => Promise<Chain>
}

/** A fresh regtest chain in a temp dir with `blocks` connected. */
export async function openChain (blocks: Block[] = BASE.blocks, now?: () => number): Promise<OpenChain> {
  const dir = tempDir('minicoin-prop-')
  const open = async (): Promise<Chain> => await Chain.open({ location: dir.path, params: regtest, verifier: new NobleVerifier(), now })
  const handle: OpenChain = {
    chain: await open(),
    dir,
    close: async () => {
      await handle.chain.close()
      dir.remove()
    },
    reopen: async () => {
      await handle.chain.close()
      handle.chain = await open()
      return handle.chain
    }
  }
  try {
    for (const b of blocks) await handle.chain.processBlock(b)
  } catch (err) {
    await handle.close()
    throw err
  }
  return handle
}

/** Outputs of `tx` as spendables, with the key that owns each (if one of KEYS). */
export function spendablesOf (tx: Transaction): Spendable[] {
  const id = txid(tx)
  const out: Spendable[] = []
  tx.outputs.forEach((o, index) => {
    const key = KEYS.find(k => k.address.every((b, i) => b === o.address[i]))
    if (key !== undefined) out.push({ txid: id, index, amount: o.amount, key })
  })
  return out
}

/** Lets queued microtasks and event handlers (mempool re-checks after a tip change) finish. */
export async function settle (): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise(resolve => setImmediate(resolve))
}
