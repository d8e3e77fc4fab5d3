// Open transactions: the mempool of a full node or miner (an SPV node's
// list holds only its own payments not yet proven in a block).
import { emptyNote, fill, h, hashText, routeHref } from '../lib/dom.js'
import { formatCoins, sumUnits, TICKER } from '../lib/amount.js'
import { ago, formatBytes } from '../lib/format.js'

const SHOWN = 50

export function renderMempool (el, txs, { role, fresh = new Set() }) {
  if (txs.length === 0) {
    fill(el, h('li', null, emptyNote(role === 'spv' ? 'No payments waiting for a block.' : 'The mempool is empty: every transaction seen is in a block.')))
    return
  }
  const sorted = [...txs].sort((a, b) => (b.receivedAt ?? 0) - (a.receivedAt ?? 0))
  const rows = sorted.slice(0, SHOWN).map(t => {
    const outputs = Array.isArray(t.outputs) ? t.outputs : []
    const inputs = Array.isArray(t.inputs) ? t.inputs : []
    const total = sumUnits(outputs.map(o => o?.amount))
    return h('li', { class: fresh.has(t.txid) ? 'fresh' : null, 'data-txid': t.txid },
      h('span', null, hashText(t.txid, { link: routeHref('tx', t.txid) }),
        h('span', { class: 'fee' }, `${inputs.length} in · ${outputs.length} out · ${formatBytes(t.size)}`)),
      h('span', { class: 'amounts' }, `${formatCoins(total)} ${TICKER}`,
        h('span', { class: 'fee' }, t.fee !== undefined ? `fee ${formatCoins(t.fee)}` : 'fee unknown')),
      h('span', { class: 'age', 'data-time': t.receivedAt !== undefined ? t.receivedAt / 1000 : null }, t.receivedAt !== undefined ? ago(t.receivedAt / 1000) : ''))
  })
  if (sorted.length > SHOWN) rows.push(h('li', null, emptyNote(`and ${sorted.length - SHOWN} more`)))
  fill(el, rows)
}
