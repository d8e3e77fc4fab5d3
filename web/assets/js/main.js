// The dashboard of one node: loads the node's state from its JSON API,
// renders each panel, keeps them current from the node's event stream (or a
// poll while the stream is down) and wires the forms. Role-aware: a miner
// gets the mining switch, an SPV node its header chain and proven payments.
import { api, ApiFailure } from './lib/api.js'
import { fill, h, keepingFocus, setText, shortId } from './lib/dom.js'
import { ago, formatHashRate, formatNumber, formatSi, TARGET_BLOCK_TIME } from './lib/format.js'
import { startLive, throttle } from './lib/live.js'
import { hasToken, onTokenChange, clearToken } from './lib/token.js'
import { addressDetail, blockDetail, renderBlockList, searchRoute, txDetail } from './views/explorer.js'
import { renderMempool } from './views/mempool.js'
import { renderNodeInfo, renderPeerGraph, renderPeerList } from './views/network.js'
import { renderLan } from './views/lan.js'
import { renderProofs } from './views/proofs.js'
import { renderTree } from './views/tree.js'
import { renderChart } from './views/chart.js'
import { setupTokenDialog } from './views/token-dialog.js'
import { renderActivity, renderAddresses, renderBalances, setupNewAddress, setupSendForm } from './views/wallet.js'

const BLOCKS_SHOWN = 10
const TREE_DEPTH = 40
const CHART_BLOCKS = 100

const $ = (id) => document.getElementById(id)

const state = {
  status: null,
  blocks: [],
  chartBlocks: [],
  tree: [],
  peers: [],
  mempool: new Map(),
  wallet: null,
  freshHeights: new Set(),
  freshTx: new Set(),
  flashAddress: null
}

let tokenDialog

// ---- small helpers ---------------------------------------------------------

function banner (text) {
  const b = $('banner')
  if (text === null) {
    b.hidden = true
    b.textContent = ''
  } else {
    b.textContent = text
    b.hidden = false
  }
}

function bump (el) {
  el.classList.remove('bump')
  void el.offsetWidth // restart the animation
  el.classList.add('bump')
}

function forget (set, key, ms = 3000) {
  setTimeout(() => set.delete(key), ms)
}

function isSpv () {
  return state.status?.role === 'spv'
}

async function guarded (what, fn) {
  try {
    await fn()
  } catch (err) {
    console.warn(`refresh ${what} failed:`, err instanceof ApiFailure ? `${err.code}: ${err.message}` : err)
    if (err instanceof ApiFailure && err.status === 0) banner('Cannot reach the node. Retrying…')
  }
}

// ---- panels ------------------------------------------------------------------

function applyRole (st) {
  document.body.dataset.role = st.role
  setText($('role-badge'), st.role)
  setText($('network-badge'), st.network)
  $('mining-card').hidden = st.role !== 'miner'
  $('proofs-card').hidden = st.role !== 'spv'
  if (st.role === 'spv') {
    setText($('blocks-title'), 'Header chain')
    setText($('blocks-note'), 'headers this node validated itself')
    setText($('mempool-title'), 'Pending payments')
    setText($('mempool-note'), 'sent from this wallet, not yet proven in a block')
    setText($('stat-mempool-label'), 'Pending')
    setText($('stat-mempool-sub'), 'own, unconfirmed')
  } else {
    setText($('mempool-note'), 'live')
  }
  setText($('stat-extra-label'), st.role === 'miner' ? 'Hash rate' : 'Last block')
  setText($('token-devnet-path'), `<that directory>/${st.role}/.cookie`)
}

/**
 * A new tip that does not extend the one shown may be a reorg (or several
 * blocks connected at once): it is one when the old tip left the active chain.
 */
async function noteReorg (header, previous) {
  if (header.prevHash === previous.tip || header.hash === previous.tip) return
  let old
  try {
    old = await api.block(previous.tip)
  } catch {
    return
  }
  if (old.active !== false) return
  const note = $('reorg-note')
  note.textContent = `↻ reorg at ${new Date().toLocaleTimeString()}: #${previous.height} …${previous.tip.slice(-5)} left the chain, new tip #${header.height} …${header.hash.slice(-5)}`
  note.hidden = false
}

function renderStatus () {
  const st = state.status
  if (st === null) return
  const heightEl = $('stat-height')
  if (heightEl.textContent !== String(st.height)) {
    setText(heightEl, String(st.height))
    bump(heightEl)
  }
  setText($('stat-height-sub'), `tip ${shortId(st.tip, 6, 6)}`)
  $('stat-height-sub').title = st.tip
  const best = Math.max(st.bestHeaderHeight ?? st.height, st.height)
  const progress = $('stat-sync-progress')
  progress.max = Math.max(1, best)
  progress.value = st.height
  const syncing = st.syncing || best > st.height
  progress.closest('.stat').classList.toggle('syncing', syncing)
  setText($('stat-sync'), syncing ? `${formatNumber(st.height)} / ${formatNumber(best)}` : 'in sync')
  setText($('stat-peers'), String(st.peers))
  setText($('stat-difficulty'), formatSi(st.difficulty))
  $('stat-difficulty').title = formatNumber(st.difficulty)
  setText($('stat-mempool'), String(state.mempool.size))
  renderExtraStat()
  if (st.mining !== undefined) renderMining(st.mining)
  document.title = `#${st.height} · ${st.role} · minicoin`
  renderNodeInfo($('node-info'), st)
}

function renderExtraStat () {
  const st = state.status
  if (st.role === 'miner' && st.mining !== undefined) {
    setText($('stat-extra'), st.mining.enabled ? formatHashRate(st.mining.hashRate) : 'off')
    setText($('stat-extra-sub'), `${st.mining.blocksMined} block${st.mining.blocksMined === 1 ? '' : 's'} mined · ${st.mining.threads} thread${st.mining.threads === 1 ? '' : 's'}`)
  } else {
    const last = state.blocks[0]
    setText($('stat-extra'), last === undefined ? '–' : ago(last.time))
    setText($('stat-extra-sub'), `target every ${TARGET_BLOCK_TIME[st.network] ?? '?'} s`)
  }
}

function renderPeersSummary () {
  const roles = state.peers.map(p => p.role).filter(r => typeof r === 'string')
  const counts = {}
  for (const r of roles) counts[r] = (counts[r] ?? 0) + 1
  const text = Object.entries(counts).map(([r, n]) => `${n} ${r}`).join(' · ')
  setText($('stat-peers-sub'), text === '' ? (state.peers.length === 0 ? 'none connected' : 'roles unknown') : text)
}

function renderMining (m) {
  const pill = $('mining-pill')
  pill.className = m.enabled ? 'pill pill-good' : 'pill'
  setText(pill, m.enabled ? 'mining' : 'stopped')
  fill($('mining-info'), h('dl', { class: 'fields' },
    h('dt', null, 'Hash rate'), h('dd', { 'data-testid': 'mining-hashrate' }, m.enabled ? formatHashRate(m.hashRate) : '—'),
    h('dt', null, 'Threads'), h('dd', null, String(m.threads)),
    h('dt', null, 'Blocks mined'), h('dd', null, `${m.blocksMined} since start`),
    h('dt', null, 'Expected block'), h('dd', null, m.enabled && m.hashRate > 0 && state.status !== null
      ? `every ~${formatNumber(state.status.difficulty / m.hashRate)} s at this difficulty`
      : '—')))
  const btn = $('mining-toggle')
  if (!btn.disabled) setText(btn, m.enabled ? 'Stop mining' : 'Start mining')
  btn.dataset.enabled = String(m.enabled)
  btn.className = m.enabled ? 'btn' : 'btn btn-primary'
}

function renderBlocks () {
  keepingFocus($('block-list'), () => renderBlockList($('block-list'), state.blocks, { headersOnly: isSpv(), freshHeights: state.freshHeights }))
  if (state.status !== null) renderExtraStat()
}

function renderMempoolPanel () {
  keepingFocus($('mempool-list'), () => renderMempool($('mempool-list'), [...state.mempool.values()], { role: state.status?.role, fresh: state.freshTx }))
  setText($('stat-mempool'), String(state.mempool.size))
}

function renderWallet () {
  const w = state.wallet
  if (w === null) return
  renderBalances($('balances'), w)
  keepingFocus($('addresses'), () => renderAddresses($('addresses'), w, state.flashAddress))
  keepingFocus($('activity'), () => renderActivity($('activity'), w, state.status?.role))
  if (isSpv()) keepingFocus($('proofs-body'), () => renderProofs($('proofs-body'), w))
}

function renderPeers () {
  if (state.status === null) return
  renderPeerGraph($('peer-graph'), state.status, state.peers)
  keepingFocus($('peer-list'), () => renderPeerList($('peer-list'), state.peers))
  renderPeersSummary()
}

// The tree keeps its newest blocks in view unless the user scrolls back.
let treeFollowsTip = true

function treeAtEnd (scroller) {
  return scroller.scrollLeft + scroller.clientWidth >= scroller.scrollWidth - 8
}

function renderTreePanel () {
  const scroller = $('tree-scroll')
  keepingFocus(scroller, () => renderTree(scroller, state.tree, state.status?.tip))
  if (treeFollowsTip) scroller.scrollLeft = scroller.scrollWidth
}

function renderChartPanel () {
  renderChart($('chart'), state.chartBlocks, TARGET_BLOCK_TIME[state.status?.network])
}

function renderLockState () {
  const unlocked = hasToken()
  const btn = $('token-button')
  setText(btn, unlocked ? 'Unlocked ✓' : 'Unlock')
  btn.classList.toggle('unlocked', unlocked)
  btn.title = unlocked ? 'The API token is stored in this tab. Click to replace or forget it.' : 'Paste the node\'s API token to send, create addresses or control mining'
  const lock = $('lock-state')
  lock.classList.toggle('unlocked', unlocked)
  setText(lock, unlocked ? 'unlocked in this tab' : 'locked: sending needs the token')
  setText($('send-hint'), unlocked ? '' : 'You will be asked for the node\'s token.')
}

// ---- loading -------------------------------------------------------------------

async function refreshStatus () {
  const st = await api.status()
  banner(null)
  const tipChanged = state.status !== null && st.tip !== state.status.tip
  state.status = st
  renderStatus()
  if (tipChanged) onTipChanged()
}

async function refreshBlocks () {
  // a node may answer fewer summaries than asked (it caps the block data one request reads): ask on from there
  const blocks = await api.blocks(BLOCKS_SHOWN)
  for (let round = 0; round < 3 && blocks.length > 0 && blocks.length < BLOCKS_SHOWN; round++) {
    const last = blocks[blocks.length - 1].height
    if (last === 0) break
    const more = await api.blocks(BLOCKS_SHOWN - blocks.length, last - 1)
    if (more.length === 0) break
    blocks.push(...more)
  }
  state.blocks = blocks
  renderBlocks()
}

async function refreshChart () {
  // the chart needs headers only: never ask the node for block bodies at every tip
  state.chartBlocks = await api.headers(CHART_BLOCKS)
  renderChartPanel()
}

async function refreshTree () {
  state.tree = await api.tree(TREE_DEPTH)
  renderTreePanel()
}

async function refreshMempool () {
  const txs = await api.mempool()
  state.mempool = new Map(txs.map(t => [t.txid, t]))
  renderMempoolPanel()
}

async function refreshPeers () {
  state.peers = await api.peers()
  renderPeers()
}

async function refreshNetwork () {
  const view = await api.network()
  keepingFocus($('lan-card'), () => renderLan({ nodes: $('lan-nodes'), propagation: $('lan-propagation'), stale: $('lan-stale') }, view))
}

async function refreshWallet () {
  state.wallet = await api.wallet()
  renderWallet()
}

// what a new tip can change; refreshAll adds the peers
const CHAIN_PARTS = [
  ['status', refreshStatus],
  ['blocks', refreshBlocks],
  ['chart', refreshChart],
  ['tree', refreshTree],
  ['mempool', refreshMempool],
  ['wallet', refreshWallet],
  ['network', refreshNetwork]
]
const refreshParts = async (parts) => { await Promise.all(parts.map(([name, fn]) => guarded(name, fn))) }

const refreshAll = () => refreshParts([...CHAIN_PARTS, ['peers', refreshPeers]])

const chainChanged = throttle(() => refreshParts([...CHAIN_PARTS, ['detail', () => showRoute({ quiet: true })]]), 700)
const walletChanged = throttle(() => guarded('wallet', refreshWallet), 700)
const mempoolChanged = throttle(() => guarded('mempool', refreshMempool), 700)
const peersChanged = throttle(async () => { await Promise.all([guarded('peers', refreshPeers), guarded('status', refreshStatus), guarded('network', refreshNetwork)]) }, 700)
// a peer told us a new tip (full nodes): only the LAN view shows that
const claimsChanged = throttle(() => guarded('network', refreshNetwork), 700)

function onTipChanged () {
  chainChanged()
}

// ---- live events ---------------------------------------------------------------

function onEvent (name, data) {
  if (state.status === null) return
  switch (name) {
    case 'tip':
      if (typeof data?.height === 'number' && typeof data.hash === 'string') {
        if (typeof data.prevHash === 'string') void noteReorg(data, { tip: state.status.tip, height: state.status.height })
        state.status = { ...state.status, height: data.height, tip: data.hash, bestHeaderHeight: Math.max(state.status.bestHeaderHeight ?? 0, data.height) }
        renderStatus()
      }
      chainChanged()
      break
    case 'block':
      if (typeof data?.height === 'number') {
        state.freshHeights.add(data.height)
        forget(state.freshHeights, data.height)
      }
      chainChanged()
      break
    case 'tx':
      if (typeof data?.txid === 'string') {
        state.freshTx.add(data.txid)
        forget(state.freshTx, data.txid)
        if (isSpv()) {
          // an SPV node lists only its own pending payments: ask it which
          mempoolChanged()
        } else {
          state.mempool.set(data.txid, data)
          renderMempoolPanel()
        }
      }
      walletChanged()
      break
    case 'txRemoved':
      if (typeof data?.txid === 'string' && state.mempool.delete(data.txid)) renderMempoolPanel()
      walletChanged()
      break
    case 'peer':
      if (data?.type === 'status') claimsChanged()
      else peersChanged()
      break
    case 'proof':
      walletChanged()
      break
  }
}

function onLiveState (s) {
  const live = $('live')
  live.dataset.state = s
  setText($('live-text'), s === 'live' ? 'live' : s === 'reconnecting' ? 'reconnecting' : 'polling')
  live.title = s === 'live' ? 'Live updates from the node\'s event stream' : 'The event stream is down: polling every 5 s'
}

async function poll () {
  await Promise.all([guarded('status', refreshStatus), guarded('mempool', refreshMempool), guarded('peers', refreshPeers), guarded('wallet', refreshWallet), guarded('network', refreshNetwork)])
}

// ---- routes (detail views) -----------------------------------------------------

function parseRoute () {
  const m = /^#\/(block|tx|address)\/(.+)$/.exec(location.hash)
  if (m === null) return null
  try {
    return { kind: m[1], id: decodeURIComponent(m[2]) }
  } catch {
    return null
  }
}

let routeSeq = 0
async function showRoute ({ quiet = false, moveFocus = false } = {}) {
  const card = $('detail-card')
  const r = parseRoute()
  if (r === null) {
    if (!quiet) card.hidden = true
    return
  }
  // a live refresh must not throw away pages the user loaded with "more"
  if (quiet && $('detail-body').querySelector('[data-paged]') !== null) return
  const seq = ++routeSeq
  if (!quiet) {
    setText($('detail-title'), 'Loading…')
    fill($('detail-body'), h('p', { class: 'muted' }, 'Loading…'))
    card.hidden = false
    card.scrollIntoView({ block: 'start', behavior: 'smooth' })
  }
  const ctx = { role: state.status?.role, wallet: state.wallet }
  try {
    const view = r.kind === 'block' ? await blockDetail(r.id, ctx) : r.kind === 'tx' ? await txDetail(r.id, ctx) : await addressDetail(r.id, ctx)
    if (seq !== routeSeq) return
    setText($('detail-title'), view.title)
    keepingFocus($('detail-body'), () => fill($('detail-body'), view.body))
    // keyboard and screen-reader users land on what they opened
    if (!quiet && moveFocus) $('detail-title').focus({ preventScroll: true })
  } catch (err) {
    if (seq !== routeSeq || quiet) return
    setText($('detail-title'), r.kind === 'block' ? 'Block' : r.kind === 'tx' ? 'Transaction' : 'Address')
    const notFound = err instanceof ApiFailure && err.status === 404
    fill($('detail-body'), h('p', { class: 'result result-error', 'data-testid': 'detail-error' },
      notFound ? `Not found on this node: ${r.id}` : err instanceof ApiFailure ? err.message : 'Could not load this.'))
  }
}

function setupSearch () {
  const form = $('search-form')
  const input = $('search-input')
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const q = input.value.trim()
    if (q === '') return
    const r = await searchRoute(q)
    if (r.route !== undefined) {
      if (location.hash === r.route) void showRoute({ moveFocus: true })
      else location.hash = r.route
      return
    }
    const card = $('detail-card')
    setText($('detail-title'), 'Search')
    fill($('detail-body'), h('p', { class: 'result result-error', 'data-testid': 'search-error' }, r.error))
    card.hidden = false
    card.scrollIntoView({ block: 'start', behavior: 'smooth' })
  })
}

// ---- actions -------------------------------------------------------------------

function tokenRejected () {
  clearToken()
}

function setupMining () {
  const btn = $('mining-toggle')
  const msg = $('mining-message')
  btn.addEventListener('click', async () => {
    const enable = btn.dataset.enabled !== 'true'
    if (!(await tokenDialog.require())) return
    const hadFocus = document.activeElement === btn
    btn.disabled = true
    msg.className = 'form-message'
    msg.textContent = ''
    try {
      await api.setMining(enable)
      msg.className = 'form-message ok'
      msg.textContent = enable ? 'Mining started.' : 'Mining stopped.'
      await refreshStatus()
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401) tokenRejected()
      msg.className = 'form-message error'
      msg.textContent = err instanceof ApiFailure ? err.message : 'Could not change mining.'
    } finally {
      btn.disabled = false
      // a disabled button loses the focus: give it back to the keyboard user who pressed it
      if (hadFocus) btn.focus()
      if (state.status?.mining !== undefined) renderMining(state.status.mining)
    }
  })
}

// ---- start ---------------------------------------------------------------------

async function firstStatus () {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api.status()
    } catch (err) {
      banner(`Cannot reach the node (${err instanceof ApiFailure ? err.message : 'error'}). Retrying…`)
      await new Promise(resolve => setTimeout(resolve, Math.min(10000, 1000 * (attempt + 1))))
    }
  }
}

function tickAges () {
  const now = Date.now()
  for (const el of document.querySelectorAll('[data-time]')) {
    const t = Number(el.dataset.time)
    if (Number.isFinite(t) && t > 0) setText(el, ago(t, now))
  }
  if (state.status !== null && state.status.role !== 'miner') renderExtraStat()
}

async function main () {
  tokenDialog = setupTokenDialog({ dialog: $('token-dialog'), button: $('token-button') })
  onTokenChange(renderLockState)
  renderLockState()

  state.status = await firstStatus()
  banner(null)
  applyRole(state.status)
  renderStatus()

  const walletCtx = {
    network: () => state.status.network,
    wallet: () => state.wallet,
    requireToken: () => tokenDialog.require(),
    tokenRejected,
    onSent: (txid) => {
      state.freshTx.add(txid)
      forget(state.freshTx, txid)
      void guarded('mempool', refreshMempool)
      walletChanged()
    },
    onNewAddress: async (address) => {
      state.flashAddress = address
      await guarded('wallet', refreshWallet)
    }
  }
  setupSendForm($('send-form'), walletCtx)
  setupNewAddress($('new-address'), $('address-message'), walletCtx)
  setupMining()
  setupSearch()
  window.addEventListener('hashchange', () => { void showRoute({ moveFocus: true }) })

  await refreshAll()
  void showRoute()

  startLive({ onEvent, onState: onLiveState, onResync: () => { void refreshAll() }, poll })

  setInterval(tickAges, 5000)
  // peers' claims change with their status exchanges (every ~10 s), not only with events
  setInterval(() => { void guarded('status', refreshStatus); void guarded('network', refreshNetwork) }, 10000)

  const scroller = $('tree-scroll')
  scroller.addEventListener('scroll', () => { treeFollowsTip = treeAtEnd(scroller) }, { passive: true })

  let lastWidth = $('chart').clientWidth
  const resized = throttle(() => {
    const w = $('chart').clientWidth
    if (w !== lastWidth) {
      lastWidth = w
      renderChartPanel()
      if (treeFollowsTip) scroller.scrollLeft = scroller.scrollWidth
    }
  }, 200)
  if (typeof ResizeObserver !== 'undefined') new ResizeObserver(resized).observe($('chart'))
  else window.addEventListener('resize', resized)
}

void main()
