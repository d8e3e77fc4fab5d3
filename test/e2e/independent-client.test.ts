// Acceptance test of PROTOCOL.md: a client written from the specification and
// proto/ alone (test/independent-client/client.mjs: libp2p, protobufjs and
// @noble only) follows a real regtest node over loopback. It verifies the
// blocks the node gossips (proof of work, Merkle root, coinbase, signatures),
// walks its headers over the sync protocol, downloads and checks every block
// with its spends, verifies SPV proofs over the SPV protocol, and refuses
// tampered blocks and proofs.
import { afterEach, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { Cleanup } from '../../bench/support/nodes.js'
import { waitFor } from '../../bench/support/wait.js'
import { dialAddress, startDaemon } from '../../bench/support/daemons.js'
import type { StatusView, TxView } from '../../src/node/node-api.js'
import {
  bitsToTarget, blockHash, checkHeaderContext, checkPow, decodeAddress, retargetBits, targetToBits, decodeCanonical, header80, hex, meetsTarget, merkleRoot, pb, ProtocolError,
  rootFromBranch, sighash, startClient, txid, unhex, verifyBlock, type Client
} from '../independent-client/client.mjs'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

function code (fn: () => unknown): string {
  try {
    fn()
    return 'ok'
  } catch (err) {
    if (err instanceof ProtocolError) return err.code
    throw err
  }
}

/** A copy of `block` with `change` applied, its Merkle root recomputed and its proof of work found again (regtest). */
function remine (block: any, change: (b: any) => void): Uint8Array {
  const copy = pb.Block.decode(pb.Block.encode(block).finish()) as any
  change(copy)
  copy.header.merkleRoot = merkleRoot(copy.transactions.map(txid))
  const target = bitsToTarget(copy.header.bits)!
  for (copy.header.nonce = 0; !meetsTarget(blockHash(copy.header), target); copy.header.nonce++);
  return pb.Block.encode(copy).finish()
}

describe('an independent client written from PROTOCOL.md', () => {
  it('imports nothing but libp2p, protobufjs and @noble (no src/, no bench/)', () => {
    for (const file of ['client.mjs', 'polyfill.mjs']) {
      const text = readFileSync(new URL(`../independent-client/${file}`, import.meta.url), 'utf8')
      const specs = [...text.matchAll(/^import\s+(?:[^'"]*from\s+)?['"]([^'"]+)['"]/gm)].map(m => m[1])
      for (const s of specs) expect(s, `${file} imports ${s}`).toMatch(/^(node:|libp2p$|@libp2p\/|@chainsafe\/libp2p-noise$|@multiformats\/multiaddr$|protobufjs$|@noble\/|\.\/polyfill\.mjs$)/)
    }
  })

  it('follows a regtest node: gossiped blocks, headers over sync, full blocks, SPV proofs; refuses tampered data', async () => {
    const node = await startDaemon(cleanup, 'miner')
    const client: Client = await startClient({ network: 'regtest', peer: dialAddress(node) })
    cleanup.add(async () => { await client.stop() })
    const mining = async (enabled: boolean): Promise<void> => { await node.api.post('/api/mining', { enabled }) }
    const height = async (): Promise<number> => (await node.api.get<StatusView>('/api/status')).height

    // the node must see us on the block topic before it mines, or its first blocks go to nobody
    await waitFor(() => client.subscribers('block') > 0, 'the node on the client\'s block topic')
    await waitFor(async () => (await node.api.get<Array<{ id: string }>>('/api/peers')).length > 0, 'the node to list the client as a peer')

    // mine past coinbase maturity, then pay an address of the node's wallet and mine it in
    await mining(true)
    await waitFor(async () => await height() >= 6, 'six regtest blocks')
    await mining(false)
    const { address } = await node.api.post<{ address: string }>('/api/wallet/address')
    const { txid: paid } = await node.api.post<{ txid: string }>('/api/wallet/send', { to: address, amount: '123456789' })
    await mining(true)
    await waitFor(async () => (await node.api.get<TxView>(`/api/tx/${paid}`)).confirmations >= 1, 'the payment to confirm')
    await mining(false)
    const tipHeight = await height()

    // gossip: the client checked the node's blocks as they came, one of them carrying the signed payment
    await waitFor(() => client.state.gossip.verified.some(b => b.txids.includes(paid)), 'the block with the payment over gossip')
    const withPayment = client.state.gossip.verified.find(b => b.txids.includes(paid))!
    expect(withPayment.signatures).toBeGreaterThanOrEqual(1)
    expect(client.state.gossip.rejected).toEqual([])
    await waitFor(() => client.state.gossip.headers.length > 0, 'a header announcement')

    // sync protocol: status, then every header from genesis, each checked
    const status = await client.status()
    expect(status.height).toBeGreaterThanOrEqual(tipHeight)
    const walked = await client.syncHeaders()
    expect(walked).toBeGreaterThanOrEqual(tipHeight)
    expect(client.state.chain[status.height]).toBe(status.tip)
    expect(client.state.chain).toContain((await node.api.get<StatusView>('/api/status')).tip)

    // GetHeaders semantics on both protocols: an unknown locator starts at genesis; max; stop is inclusive; after a known hash
    const chain = client.state.chain
    for (const protocol of ['sync', 'spv'] as const) {
      expect(await client.headers(protocol, ['ab'.repeat(32)], 3)).toEqual(chain.slice(0, 3))
      expect(await client.headers(protocol, [chain[2], chain[0]], 2)).toEqual(chain.slice(3, 5))
      expect(await client.headers(protocol, [chain[0]], 0, chain[4])).toEqual(chain.slice(1, 5))
    }
    // GetBlocks: found in request order, unknown hashes in not_found
    expect(await client.blocks([chain[2], 'cd'.repeat(32), chain[1]])).toEqual({ blocks: [chain[2], chain[1]], notFound: ['cd'.repeat(32)] })

    // every block downloaded and verified with its spends: signatures and owners against the client's own UTXO set
    expect(await client.syncBlocks()).toBeGreaterThanOrEqual(walked)
    expect(client.state.signaturesChecked).toBeGreaterThanOrEqual(2)
    const paidOutputs = [...client.state.utxo.keys()].filter(k => k.startsWith(paid + ':'))
    expect(paidOutputs.length).toBeGreaterThanOrEqual(1)

    // SPV: a proof of the payment, and the history of the address it paid
    const proof = await client.txProof(paid)
    const checked = client.verifyProof(proof)
    expect(checked.txid).toBe(paid)
    expect(checked.height).toBe((await node.api.get<TxView>(`/api/tx/${paid}`)).block?.height)
    const history = await client.addressHistory(address)
    expect(history.proofs.map(p => p.txid)).toContain(paid)
    const coinbaseProof = await client.txProof(hex(txid((await client.getBlock(client.state.chain[1])).transactions[0])))
    expect(client.verifyProof(coinbaseProof)).toMatchObject({ height: 1, index: 0 })

    // an unknown txid: an Error reply with code not-found
    expect(await client.txProof('ef'.repeat(32)).then(() => 'ok', (err: ProtocolError) => err.code)).toBe('not-found')

    // tampered proofs: wrong index, a block not on the client's chain (phantom positions: the vectors test below)
    expect(code(() => client.verifyProof({ ...proof, index: (proof.index ?? 0) ^ 1 }))).toMatch(/^proof-(bad-branch|bad-index|coinbase-position)$/)
    expect(code(() => client.verifyProof({ ...proof, blockHash: new Uint8Array(32).fill(7) }))).toBe('proof-unknown-block')

    // tampered blocks: the payment's signature, its amount, the nonce
    const block = await client.getBlock(client.state.chain[checked.height])
    const raw = pb.Block.encode(block).finish()
    expect(code(() => verifyBlock(raw, { net: 'regtest', height: checked.height }))).toBe('ok')
    const at = block.transactions.findIndex((t: any) => hex(txid(t)) === paid)
    const badSig = remine(block, b => { b.transactions[at].inputs[0].signature[5] ^= 1 })
    expect(code(() => verifyBlock(badSig, { net: 'regtest', height: checked.height }))).toBe('tx-bad-signature')
    const badAmount = remine(block, b => { b.transactions[at].outputs[0].amount = 999 })
    expect(code(() => verifyBlock(badAmount, { net: 'regtest', height: checked.height }))).toBe('tx-bad-signature')
    // signatures commit to the network: the same block read as devnet's fails (its bits too)
    expect(code(() => verifyBlock(raw, { net: 'devnet', height: checked.height }))).not.toBe('ok')
    const noMerkle = pb.Block.decode(raw) as any
    noMerkle.transactions[at].lockTime = 1
    expect(code(() => verifyBlock(pb.Block.encode(noMerkle).finish(), { net: 'regtest', height: checked.height }))).toBe('block-bad-merkle-root')
    const badPow = pb.Block.decode(raw) as any
    const target = bitsToTarget(badPow.header.bits)!
    do badPow.header.nonce++; while (meetsTarget(blockHash(badPow.header), target))
    expect(code(() => verifyBlock(pb.Block.encode(badPow).finish(), { net: 'regtest', height: checked.height }))).toBe('header-bad-pow')
    expect(code(() => verifyBlock(new Uint8Array([...raw, 0x18, 0x01]), { net: 'regtest' }))).toBe('noncanonical')
    expect(code(() => verifyBlock(raw, { net: 'regtest', height: checked.height + 1 }))).toBe('cb-bad-height')
  })
})


describe('the independent client against the committed test vectors', () => {
  const load = (name: string): any => JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8'))

  it('computes txids and sighashes, and checks signatures, as the vectors say', async () => {
    const secp = await import('@noble/secp256k1')
    const v = load('transactions.json')
    for (const t of v.transactions) {
      const tx = decodeCanonical(pb.Transaction, unhex(t.hex))
      expect(hex(txid(tx)), t.name).toBe(t.txid)
      for (const [net, digest] of Object.entries(t.sighash)) expect(hex(sighash(tx, net)), `${t.name} ${net}`).toBe(digest)
    }
    for (const c of v.signatureChecks) {
      let ok: boolean
      try { ok = secp.verify(unhex(c.signature), unhex(c.digest), unhex(c.publicKey), { prehash: false, lowS: true }) } catch { ok = false }
      expect(ok, c.name).toBe(c.valid)
    }
    for (const e of v.encodings) expect(code(() => decodeCanonical(pb.Transaction, unhex(e.hex))) === 'ok', e.name).toBe(e.result === 'ok')
  })

  it('hashes headers and checks proof of work as the vectors say', () => {
    for (const h of load('headers.json').headers) {
      const header = decodeCanonical(pb.BlockHeader, unhex(h.message))
      expect(hex(header80(header))).toBe(h.header80)
      expect(hex(blockHash(header))).toBe(h.hash)
      const got = code(() => checkPow(header, h.network))
      expect(got, h.name).toBe(h.result)
    }
    for (const c of load('headers.json').compactBits) expect(bitsToTarget(c.bits)?.toString(16) ?? null).toBe(c.target)
  })

  it('retargets (4x clamp, powLimit cap) and checks header context (MTP, timewarp, future) as the vectors say', () => {
    const v = load('retarget.json')
    for (const r of v.retarget) expect(retargetBits(r.prevBits, r.actualTimespan, r.network), r.name).toBe(r.nextBits)
    for (const c of v.headerContext) {
      const got = code(() => checkHeaderContext({ time: c.time, bits: c.bits }, c.height, (h: number) => c.ancestors[h], c.network, c.now))
      expect(got, c.name).toBe(c.result)
    }
    for (const t of load('headers.json').targetToBits) expect(targetToBits(BigInt('0x' + t.target))).toBe(t.bits)
  })

  it('verifies Merkle proofs, refusing phantom positions and wrong indexes, as the vectors say', () => {
    const v = load('merkle.json')
    for (const t of v.trees) expect(hex(merkleRoot(t.leaves.map(unhex)))).toBe(t.root)
    for (const p of v.proofs) {
      const root = rootFromBranch(unhex(p.leaf), p.branch.map(unhex), p.index)
      expect(root !== null && hex(root) === p.root, p.name).toBe(p.valid)
    }
  })

  it('decodes addresses as the vectors say', () => {
    const v = load('addresses.json')
    for (const a of v.valid) expect(hex(decodeAddress(a.address, a.network))).toBe(a.hash)
    for (const a of v.invalid) {
      const got = code(() => decodeAddress(a.address, a.network))
      // the client folds the finer codes into the checks it makes; acceptance must agree exactly
      expect(got === 'ok', a.name).toBe(a.result === 'ok')
      if (['bad-checksum', 'wrong-network', 'mixed-case'].includes(a.result)) expect(got, a.name).toBe(a.result)
    }
  })

  it('refuses the invalid blocks of the vectors that need no chain', () => {
    for (const b of load('blocks.json').stateless) {
      const got = code(() => verifyBlock(unhex(b.hex), { net: 'regtest', height: 1 }))
      expect(got === 'ok', b.name).toBe(b.result === 'ok')
    }
  })
})
