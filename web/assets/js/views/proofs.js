// SPV: each payment a full node proved, with its Merkle branch drawn from
// the transaction to the root of a header this node validated itself. The
// branch is hashed again here, so the picture is checked, not just shown.
import { emptyNote, fill, h, hashText, routeHref } from '../lib/dom.js'
import { formatDelta, TICKER } from '../lib/amount.js'
import { proofSvg } from './merkle-svg.js'

const SHOWN = 6

export function renderProofs (el, wallet) {
  const proven = (wallet?.transactions ?? []).filter(t => t.proof !== undefined)
  if (proven.length === 0) {
    fill(el, emptyNote('No proven payments yet. Send coins to one of this wallet\'s addresses; once the payment is in a block, a full node proves it and it appears here.'))
    return
  }
  fill(el, proven.slice(0, SHOWN).map(t => {
    const { svg, ok } = proofSvg(t.txid, t.proof)
    return h('article', { class: 'proof', 'data-testid': 'proof', 'data-txid': t.txid },
      h('div', { class: 'proof-head' },
        h('span', { class: ['delta', String(t.delta).startsWith('-') ? 'minus' : 'plus'] }, `${formatDelta(t.delta)} ${TICKER}`),
        h('span', { class: ok ? 'pill pill-good' : 'pill pill-bad', 'data-testid': 'proof-status' }, ok ? 'root matches header ✓' : 'root mismatch ✗')),
      h('div', { class: 'proof-meta' },
        hashText(t.txid, { link: routeHref('tx', t.txid) }),
        h('span', null, 'in block ', h('a', { href: routeHref('block', t.proof.blockHash) }, `#${t.height}`)),
        h('span', null, `${t.confirmations} confirmation${t.confirmations === 1 ? '' : 's'}`),
        h('span', null, `position ${t.proof.index}, ${t.proof.branch.length} sibling${t.proof.branch.length === 1 ? '' : 's'}`)),
      svg)
  }), proven.length > SHOWN ? emptyNote(`and ${proven.length - SHOWN} earlier proven payments`) : null)
}
