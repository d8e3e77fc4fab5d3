// bcoin's side of `npm run bench:versus` with a warm-up like minicoin's:
// the workload of ../shared/bench/bcoin/rpc-bench.mjs (N one-input
// transactions prepared and signed through bcoin's wallet, submitted with
// sendrawtransaction serially, then concurrently, each phase timed until
// bcoin's mempool holds them; then one block mined and connected), after
// WARM more of the same transactions submitted and accepted before the
// clock starts, as minicoin's side submits MINICOIN_BENCH_API_WARM of its
// own (bench/api-submit.bench.ts): half in bursts as large as the timed
// one, then half serially. Both nodes then run the measured path with the same
// submissions behind them, and the block holds WARM + N transactions on both
// sides.
// Run by the shared bench.sh: BENCH=<this file> WARM=<count> bench.sh N
const NODE = 48332
const WALLET = 48334
const N = Number(process.argv[2] ?? 1000)
const WARM = Number(process.env.WARM ?? 0)
if (!Number.isInteger(N) || N < 2) throw new Error(`N must be a whole number of 2 or more (a serial half and a concurrent half), not ${process.argv[2]}`)
if (!Number.isInteger(WARM) || WARM < 0) throw new Error(`WARM must be a whole number of 0 or more, not ${process.env.WARM}`)
const AUTH = 'Basic ' + Buffer.from('x:pp').toString('base64')

async function rpc (port, method, params = []) {
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: AUTH }, body: JSON.stringify({ method, params }) })
  const body = await res.json()
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`)
  return body.result
}

/** Polls bcoin's mempool (every 10 ms, at most 300 s) until it holds `count`; its size then. */
async function mempoolHolds (count) {
  const deadline = Date.now() + 300_000
  for (;;) {
    const size = (await rpc(NODE, 'getmempoolinfo')).size
    if (size >= count || Date.now() > deadline) return size
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

const total = WARM + N
const minerAddress = await rpc(WALLET, 'getnewaddress')
await rpc(NODE, 'generatetoaddress', [101, minerAddress]) // coinbase maturity is 100
const payments = {}
for (let i = 0; i < total; i++) payments[await rpc(WALLET, 'getnewaddress')] = 0.01
const fundTxid = await rpc(WALLET, 'sendmany', ['default', payments])
await mempoolHolds(1) // sendmany relays asynchronously
await rpc(NODE, 'generatetoaddress', [1, minerAddress])
const fundingTx = await rpc(WALLET, 'gettransaction', [fundTxid])
if (!fundingTx.blockhash) throw new Error('the funding transaction was not confirmed')
const funding = await rpc(NODE, 'decoderawtransaction', [fundingTx.hex])
const signed = []
let t = performance.now()
for (const out of funding.vout) {
  if (Math.abs(out.value - 0.01) > 1e-9) continue // the change
  const address = out.scriptPubKey.addresses ? out.scriptPubKey.addresses[0] : out.scriptPubKey.address
  const raw = await rpc(NODE, 'createrawtransaction', [[{ txid: fundTxid, vout: out.n }], { [minerAddress]: 0.0099 }])
  const wif = await rpc(WALLET, 'dumpprivkey', [address])
  const tx = await rpc(NODE, 'signrawtransaction', [raw, [{ txid: fundTxid, vout: out.n, scriptPubKey: out.scriptPubKey.hex, amount: out.value }], [wif]])
  signed.push(tx.hex)
}
if (signed.length !== total) throw new Error(`prepared ${signed.length} of ${total} transactions`)
console.log(`prepared+signed ${signed.length} raw txs in ${((performance.now() - t) / 1000).toFixed(2)}s`)

const warm = signed.slice(0, WARM)
const timed = signed.slice(WARM)
const half = timed.length >> 1
// the warm-up as minicoin's: half in bursts as large as the timed one, then half serially
const burst = timed.length - half
const bursts = WARM >> 1
t = performance.now()
for (let i = 0; i < bursts; i += burst) await Promise.all(warm.slice(i, Math.min(i + burst, bursts)).map(hex => rpc(NODE, 'sendrawtransaction', [hex])))
// The bursts' connections stay open in fetch's pool until idle for 4 s
// (its keepAliveTimeout; bcoin's server, Node's http, closes them after 5);
// the timed burst must open its own, as minicoin's does: wait them out
// (seen with ss: 500 connections during a burst, 1 after the wait).
if (bursts > 0) await new Promise(resolve => setTimeout(resolve, 6000))
for (const hex of warm.slice(bursts)) await rpc(NODE, 'sendrawtransaction', [hex])
const warmed = await mempoolHolds(WARM)
console.log(`warm-up, untimed: ${warmed}/${WARM} in mempool after ${((performance.now() - t) / 1000).toFixed(2)}s (a 6 s wait included)`)
if (warmed < WARM) throw new Error(`only ${warmed} of ${WARM} warm-up transactions were accepted`)

t = performance.now()
for (const hex of timed.slice(0, half)) await rpc(NODE, 'sendrawtransaction', [hex])
let seconds = (performance.now() - t) / 1000
console.log(`sendrawtransaction serial: ${half} in ${seconds.toFixed(2)}s = ${(half / seconds).toFixed(0)} tx/s`)
let size = await mempoolHolds(WARM + half)
seconds = (performance.now() - t) / 1000
console.log(`  serial incl. mempool acceptance: ${size - WARM}/${half} in mempool after ${seconds.toFixed(2)}s = ${((size - WARM) / seconds).toFixed(0)} tx/s`)

t = performance.now()
await Promise.all(timed.slice(half).map(hex => rpc(NODE, 'sendrawtransaction', [hex])))
seconds = (performance.now() - t) / 1000
console.log(`sendrawtransaction concurrent: ${timed.length - half} in ${seconds.toFixed(2)}s = ${((timed.length - half) / seconds).toFixed(0)} tx/s`)
size = await mempoolHolds(total)
seconds = (performance.now() - t) / 1000
console.log(`  concurrent incl. mempool acceptance: ${size - WARM - half}/${timed.length - half} in mempool after ${seconds.toFixed(2)}s = ${((size - WARM - half) / seconds).toFixed(0)} tx/s`)

t = performance.now()
const [blockHash] = await rpc(NODE, 'generatetoaddress', [1, minerAddress])
console.log(`mine+connect block of ${total} txs: ${(performance.now() - t).toFixed(0)} ms`)
const block = await rpc(NODE, 'getblock', [blockHash])
console.log(`  block ${block.height} has ${block.tx.length} txs (incl. coinbase); mempool after: ${(await rpc(NODE, 'getmempoolinfo')).size}`)
