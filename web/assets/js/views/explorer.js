// The chain explorer: the latest blocks (or, on an SPV node, its header
// chain) and the detail views a route opens: #/block/<height|hash>,
// #/tx/<txid>, #/address/<address>.
import { api, ApiFailure } from '../lib/api.js'
import { emptyNote, fields, fill, h, hashText, routeHref, copyButton, setText } from '../lib/dom.js'
import { ago, dateTime, difficultyOfBits, formatBytes, formatNumber, formatSi } from '../lib/format.js'
import { formatCoins, formatDelta, sumUnits, TICKER } from '../lib/amount.js'
import { treeSvg } from './merkle-svg.js'

function coins (units) {
  return `${formatCoins(units)} ${TICKER}`
}

function timeCell (unixSeconds) {
  return h('span', { class: 'age', 'data-time': unixSeconds, title: dateTime(unixSeconds) }, ago(unixSeconds))
}

export function renderBlockList (el, blocks, { headersOnly, freshHeights = new Set() }) {
  if (blocks.length === 0) {
    fill(el, h('li', null, emptyNote('No blocks yet.')))
    return
  }
  const head = h('li', { class: 'rows-head', 'aria-hidden': 'true' },
    h('span', null, 'Height'), h('span', null, 'Hash'),
    h('span', { class: 'cell-num col-txs' }, headersOnly ? '' : 'Txs'),
    h('span', { class: 'cell-num col-size' }, headersOnly ? 'Bits' : 'Size'),
    h('span', { class: 'age' }, 'Mined'))
  fill(el, head, blocks.map(b => h('li', { class: freshHeights.has(b.height) ? 'fresh' : null, 'data-height': b.height },
    h('a', { class: 'height', href: routeHref('block', b.hash) }, `#${b.height}`),
    hashText(b.hash, { link: routeHref('block', b.hash) }),
    h('span', { class: 'cell-num col-txs' }, headersOnly ? '' : String(b.txCount)),
    h('span', { class: 'cell-num col-size' }, headersOnly ? b.bits : formatBytes(b.size)),
    timeCell(b.time))))
}

function statusPill (confirmations, active = true) {
  if (!active) return h('span', { class: 'pill pill-bad' }, 'not on the active chain')
  if (confirmations <= 0) return h('span', { class: 'pill pill-warn' }, 'pending')
  return h('span', { class: 'pill pill-good' }, `${confirmations} confirmation${confirmations === 1 ? '' : 's'}`)
}

function txRows (txs, first = 0) {
  return h('ol', { class: 'rows tx-rows' }, txs.map((t, i) => {
    const total = sumUnits(t.outputs.map(o => o.amount))
    return h('li', null,
      h('span', { class: 'idx' }, String(first + i)),
      h('span', null, hashText(t.txid, { link: routeHref('tx', t.txid) }),
        h('span', { class: 'meta' }, t.coinbase ? 'coinbase · ' : `${t.inputs.length} in · `, `${t.outputs.length} out`, t.fee !== undefined && !t.coinbase ? ` · fee ${formatCoins(t.fee)}` : '')),
      h('span', { class: 'amount' }, coins(total)))
  }))
}

/** A "more" button that appends the next page to `list` until there is none. */
function moreButton (label, loadPage) {
  const button = h('button', { type: 'button', class: 'btn btn-small more', 'data-testid': 'load-more' }, label)
  button.addEventListener('click', async () => {
    button.disabled = true
    try {
      const done = await loadPage()
      button.parentElement?.setAttribute('data-paged', '')
      if (done) button.remove()
      else button.disabled = false
    } catch (err) {
      button.disabled = false
      button.textContent = err instanceof ApiFailure ? `${label} (failed: ${err.message})` : `${label} (failed)`
    }
  })
  return button
}

function txRowItems (txs, first) {
  return txRows(txs, first).children
}

export async function blockDetail (id, ctx) {
  const b = await api.block(id)
  const txs = Array.isArray(b.transactions) ? b.transactions : []
  const body = [
    fields([
      ['Height', h('span', null, `#${b.height} `, statusPill(b.confirmations, b.active))],
      ['Hash', h('span', { class: 'inline' }, h('span', { class: 'hash-wrap', 'data-testid': 'block-hash' }, b.hash), copyButton(b.hash))],
      ['Previous', b.height === 0 ? 'none (genesis)' : h('a', { class: 'hash-wrap', href: routeHref('block', b.prevHash) }, b.prevHash)],
      ['Merkle root', h('span', { class: 'hash-wrap', 'data-testid': 'merkle-root' }, b.merkleRoot)],
      ['Time', `${dateTime(b.time)} (${ago(b.time)})`],
      ['Bits', `${b.bits} · difficulty ${formatSi(difficultyOfBits(b.bits))}`],
      ['Nonce', formatNumber(b.nonce)],
      ['Version', String(b.version)],
      ['Chain work', b.work],
      ...(ctx.role === 'spv' ? [] : [['Size', `${formatBytes(b.size)} · ${b.txCount} transaction${b.txCount === 1 ? '' : 's'}`]])
    ], 'fields fields-wide')
  ]
  if (ctx.role === 'spv') {
    body.push(h('p', { class: 'muted detail-section' }, 'An SPV node keeps block headers only: it checked this header\'s proof of work itself, and learns about transactions in this block only through Merkle proofs of its own payments.'))
  } else {
    // the node sends a first page; the rest come a page at a time, on request
    const list = txs.length === 0 ? emptyNote('No transactions in this view.') : txRows(txs)
    const section = h('div', { class: 'detail-section' }, h('h3', null, `Transactions (${b.txCount ?? txs.length})`), list)
    let next = b.nextTxOffset
    if (next !== undefined && txs.length > 0) {
      section.append(moreButton('More transactions', async () => {
        const page = await api.blockTxs(b.hash, next)
        list.append(...txRowItems(page.transactions, page.offset))
        next = page.nextOffset
        return next === undefined
      }))
    }
    body.push(section)
    if (txs.length > 0 && txs.length <= 8 && b.nextTxOffset === undefined) {
      const { svg, ok } = treeSvg(txs.map(t => t.txid), b.merkleRoot)
      body.push(h('div', { class: 'detail-section merkle' },
        h('h3', null, 'Merkle tree'),
        h('p', { class: ok ? 'form-message ok' : 'form-message error' }, ok ? 'The root recomputed in this browser from the txids matches the header.' : 'The root recomputed from these txids does NOT match the header!'),
        h('div', { class: 'scroll-x' }, svg)))
    }
  }
  return { title: `Block #${b.height}`, body }
}

function ioList (items, kind) {
  if (items.length === 0) return h('ul', { class: 'io-list' }, h('li', { class: 'small' }, kind === 'in' ? 'No inputs: a coinbase creates new coins' : 'No outputs'))
  return h('ul', { class: 'io-list' }, items.map(item => {
    if (kind === 'in') {
      return h('li', null,
        item.amount !== undefined ? h('div', { class: 'amount' }, coins(item.amount)) : h('div', { class: 'small' }, 'amount unknown'),
        item.address !== undefined ? h('a', { class: 'hash', href: routeHref('address', item.address), title: item.address }, item.address) : null,
        h('div', { class: 'small' }, 'spends ', h('a', { class: 'mono', href: routeHref('tx', item.prevTxid), title: item.prevTxid }, `${item.prevTxid.slice(0, 10)}…:${item.prevIndex}`)))
    }
    return h('li', null,
      h('div', { class: 'amount' }, coins(item.amount)),
      h('a', { class: 'hash', href: routeHref('address', item.address), title: item.address }, item.address))
  }))
}

export async function txDetail (txid, ctx) {
  const t = await api.tx(txid)
  const total = sumUnits(t.outputs.map(o => o.amount))
  const rows = [
    ['Txid', h('span', { class: 'inline' }, h('span', { class: 'hash-wrap', 'data-testid': 'txid' }, t.txid), copyButton(t.txid))],
    ['Status', h('span', { 'data-testid': 'tx-status' }, statusPill(t.confirmations))],
    t.block !== undefined ? ['Block', h('a', { href: routeHref('block', t.block.hash) }, `#${t.block.height}`, ` (position ${t.block.index})`)] : null,
    t.receivedAt !== undefined && t.block === undefined ? ['Seen', `${ago(t.receivedAt / 1000)}`] : null,
    ['Total out', coins(total)],
    ['Fee', t.coinbase ? 'none (coinbase)' : t.fee !== undefined ? coins(t.fee) : 'unknown (inputs not known to this node)'],
    ['Size', formatBytes(t.size)],
    t.lockTime !== 0 ? ['Lock time', String(t.lockTime)] : null
  ]
  const body = [
    fields(rows, 'fields fields-wide'),
    h('div', { class: 'detail-section tx-io' },
      h('div', null, h('h3', null, `Inputs (${t.inputs.length})`), ioList(t.inputs, 'in')),
      h('div', { class: 'arrow', 'aria-hidden': 'true' }, '→'),
      h('div', null, h('h3', null, `Outputs (${t.outputs.length})`), ioList(t.outputs, 'out')))
  ]
  return { title: t.coinbase ? 'Coinbase transaction' : 'Transaction', body }
}

function historyItems (transactions) {
  return transactions.map(t => h('li', null,
    h('span', null, hashText(t.txid, { link: routeHref('tx', t.txid) }),
      h('span', { class: 'meta' }, t.height !== undefined ? `block #${t.height} · ` : '', `${t.confirmations} confirmation${t.confirmations === 1 ? '' : 's'}`)),
    h('span', { class: ['delta', String(t.delta).startsWith('-') ? 'minus' : 'plus'] }, formatDelta(t.delta))))
}

export async function addressDetail (address, ctx) {
  // the node pages history newest first; totals cover the pages loaded so far
  const first = await api.address(address)
  const loaded = [...first.transactions]
  const mine = ctx.wallet?.addresses?.includes(address) === true
  let next = first.next
  const netCell = h('span', null, coins(sumUnits(loaded.map(t => t.delta))))
  const countCell = h('span', null, `${loaded.length}${next !== undefined ? ' shown (older ones on request)' : ''}`)
  const list = h('ol', { class: 'rows activity' }, historyItems(loaded))
  const section = h('div', { class: 'detail-section' }, h('h3', null, 'History'),
    loaded.length === 0 ? emptyNote('No confirmed transactions for this address.') : list)
  if (next !== undefined) {
    section.append(moreButton('Older transactions', async () => {
      const page = await api.address(address, next)
      loaded.push(...page.transactions)
      list.append(...historyItems(page.transactions))
      next = page.next
      setText(netCell, coins(sumUnits(loaded.map(t => t.delta))))
      setText(countCell, `${loaded.length}${next !== undefined ? ' shown (older ones on request)' : ''}`)
      return next === undefined
    }))
  }
  const body = [
    fields([
      ['Address', h('span', { class: 'inline' }, h('span', { class: 'hash-wrap' }, address), copyButton(address))],
      ['Owner', mine ? 'this node\'s wallet' : 'someone else'],
      [next === undefined ? 'Confirmed net' : 'Net of those shown', netCell],
      ['Transactions', countCell]
    ], 'fields fields-wide'),
    section
  ]
  return { title: 'Address', body }
}

/** Where a search query leads: a route, or an error message. */
export async function searchRoute (q) {
  try {
    const r = await api.search(q)
    if (r.kind === 'block') return { route: routeHref('block', r.id) }
    if (r.kind === 'tx') return { route: routeHref('tx', r.id) }
    if (r.kind === 'address') return { route: routeHref('address', r.id) }
    return { error: 'Unexpected search result.' }
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 404) return { error: `Nothing on this node matches "${q}".` }
    return { error: err instanceof ApiFailure ? err.message : 'Search failed.' }
  }
}
