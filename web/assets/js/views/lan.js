// The LAN at a glance, from GET /api/network: every node this node knows
// (connected peers and its address book) with the role and chain each one
// claims and whether that agrees with this node's tip; when each peer
// announced the recent blocks, relative to their first arrival here; and the
// blocks off the active chain over the last heights. Everything a peer said
// is shown as its claim: nothing here is verified beyond this node's chain.
import { emptyNote, fill, h, routeHref, s } from '../lib/dom.js'
import { ago, formatNumber } from '../lib/format.js'

const ROLES = new Set(['miner', 'full', 'spv'])
const BLOCKS_SHOWN = 8
const STRIP_W = 600
const STRIP_H = 34
const AXIS_Y = 13
/** Delays on a logarithmic scale from 0 (first arrival) to the largest shown: a late straggler does not squash the rest. */
const LOG_UNIT_MS = 50
const TICKS = [[100, '0.1 s'], [1000, '1 s'], [10_000, '10 s'], [60_000, '1 min'], [600_000, '10 min']]

function roleOf (role) {
  return ROLES.has(role) ? role : 'unknown'
}

function short (peerId) {
  return `…${String(peerId).slice(-6)}`
}

function roleTag (role) {
  const r = roleOf(role)
  return h('span', { class: ['role-tag', `role-${r}`] }, r === 'unknown' ? 'peer' : r)
}

const AGREEMENT = {
  'same-tip': ['pill pill-good', () => 'same tip'],
  behind: ['pill pill-warn', n => n.behindBy !== undefined ? `behind by ${formatNumber(n.behindBy)}` : 'behind'],
  forked: ['pill pill-bad', () => 'on a fork'],
  ahead: ['pill pill-accent', () => 'claims more work'],
  unknown: ['pill', () => 'unknown']
}

function agreementPill (n) {
  // light clients keep headers but exchange no chain status with this node
  if (n.agreement === 'unknown' && n.role === 'spv' && !Number.isFinite(n.height)) return h('span', { class: 'pill', 'data-testid': 'lan-agreement' }, 'not shared (SPV)')
  const [cls, text] = AGREEMENT[n.agreement] ?? AGREEMENT.unknown
  return h('span', { class: cls, 'data-testid': 'lan-agreement' }, text(n))
}

function nodeRow (n, names) {
  const heard = Number.isFinite(n.heardAt) ? `heard ${ago(n.heardAt / 1000)}` : 'no status heard'
  const link = n.connected ? `connected, ${n.direction ?? ''}`.replace(/, $/, '') : 'address book only'
  return h('tr', { 'data-peer': n.peerId, 'data-agreement': n.agreement, 'data-connected': String(n.connected) },
    h('th', { scope: 'row' }, h('span', { class: 'hash', title: n.peerId }, names.get(n.peerId) ?? short(n.peerId))),
    h('td', null, roleTag(n.role)),
    h('td', { class: 'num' }, Number.isFinite(n.height) ? `#${formatNumber(n.height)}` : '–'),
    h('td', null, agreementPill(n)),
    h('td', { class: 'lan-seen' }, h('span', { class: n.connected ? 'conn conn-on' : 'conn' }, link), h('span', { class: 'muted' }, ` · ${heard}`)))
}

export function renderLanNodes (el, view) {
  const names = peerNames(view)
  const self = view.self
  const head = h('thead', null, h('tr', null,
    h('th', { scope: 'col' }, 'Node'), h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col', class: 'num' }, 'Height'),
    h('th', { scope: 'col' }, 'Tip vs this node'), h('th', { scope: 'col' }, 'Link')))
  const selfRow = h('tr', { class: 'lan-self', 'data-peer': self.peerId },
    h('th', { scope: 'row' }, h('strong', null, 'this node')),
    h('td', null, roleTag(self.role)),
    h('td', { class: 'num' }, `#${formatNumber(self.height)}`),
    h('td', null, h('span', { class: 'hash', title: self.tip }, `tip …${self.tip.slice(-6)}`)),
    h('td', { class: 'muted' }, 'verified by this node'))
  fill(el, h('table', { class: 'lan-table', 'data-testid': 'lan-nodes' },
    h('caption', { class: 'visually-hidden' }, 'Known nodes: role, height and tip as each one claims them'),
    head, h('tbody', null, selfRow, view.nodes.map(n => nodeRow(n, names)))))
}

/** Short names for peers: role and the end of the peer id. */
function peerNames (view) {
  const names = new Map()
  for (const n of view.nodes) names.set(n.peerId, `${roleOf(n.role) === 'unknown' ? 'peer' : n.role} ${short(n.peerId)}`)
  return names
}

function formatDelay (ms) {
  if (ms < 1000) return `+${Math.round(ms)} ms`
  return `+${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
}

const VIA = { block: 'block gossip', header: 'header gossip', status: 'status exchange' }

function propagationStrip (b, roles, maxMs) {
  const x = ms => 10 + (STRIP_W - 20) * Math.min(1, Math.log1p(Math.max(0, ms) / LOG_UNIT_MS) / Math.log1p(maxMs / LOG_UNIT_MS))
  const last = b.arrivals.length === 0 ? 0 : b.arrivals[b.arrivals.length - 1].delayMs
  const label = `#${b.height}: ${b.arrivals.length} peer${b.arrivals.length === 1 ? '' : 's'} announced it` +
    (b.arrivals.length > 0 ? `, the last ${formatDelay(last)} after the first arrival` : '')
  const svg = s('svg', { viewBox: `0 0 ${STRIP_W} ${STRIP_H}`, width: STRIP_W, height: STRIP_H, class: 'lan-strip', role: 'img', 'aria-label': label })
  svg.append(s('line', { x1: 10, y1: AXIS_Y, x2: STRIP_W - 10, y2: AXIS_Y, class: 'lan-axis' }))
  for (const [ms, text] of TICKS) {
    if (ms > maxMs) break
    svg.append(s('line', { x1: x(ms), y1: AXIS_Y + 4, x2: x(ms), y2: AXIS_Y + 8, class: 'lan-axis' }))
    svg.append(s('text', { x: x(ms), y: STRIP_H - 1, 'text-anchor': 'middle', class: 'label' }, text))
  }
  if (b.local !== undefined) {
    const lx = x(b.local.at - b.firstAt)
    svg.append(s('path', { d: `M${lx},${AXIS_Y - 7} l6,7 l-6,7 l-6,-7 z`, class: 'lan-self-mark' }, s('title', null, `this node ${b.local.how} it ${formatDelay(b.local.at - b.firstAt)}`)))
  }
  for (const a of b.arrivals) {
    const role = roleOf(roles.get(a.peerId))
    const cx = x(a.delayMs)
    const title = s('title', null, `${short(a.peerId)} ${formatDelay(a.delayMs)} via ${VIA[a.via] ?? a.via}`)
    svg.append(a.via === 'status'
      ? s('rect', { x: cx - 5, y: AXIS_Y - 5, width: 10, height: 10, class: ['lan-dot', 'lan-dot-status', `role-${role}`] }, title)
      : s('circle', { cx, cy: AXIS_Y, r: 5.5, class: ['lan-dot', `role-${role}`] }, title))
  }
  return svg
}

export function renderPropagation (el, view) {
  const blocks = view.propagation.slice(0, BLOCKS_SHOWN)
  if (blocks.length === 0) {
    fill(el, emptyNote('No block announcements heard yet.'))
    return
  }
  // a live refresh keeps the lists the user opened
  const open = new Set([...el.querySelectorAll('li[data-hash] > details[open]')].map(d => d.parentElement.dataset.hash))
  const roles = new Map(view.nodes.map(n => [n.peerId, n.role]))
  const names = peerNames(view)
  const maxMs = Math.max(1000, ...blocks.flatMap(b => b.arrivals.map(a => a.delayMs)), ...blocks.map(b => b.local === undefined ? 0 : b.local.at - b.firstAt))
  fill(el,
    h('p', { class: 'lan-scale muted' }, `Each row: one block; the left end is its first arrival here, the right end ${formatDelay(maxMs)} later (logarithmic). `,
      h('span', { class: 'lan-key lan-key-gossip' }, 'relayed by gossip'), ' ', h('span', { class: 'lan-key lan-key-status' }, 'named in a status exchange (polled)'), ' ',
      h('span', { class: 'lan-key lan-key-self' }, 'this node')),
    h('ol', { class: 'rows lan-blocks', 'data-testid': 'lan-propagation' }, blocks.map(b => h('li', { 'data-hash': b.hash, 'data-arrivals': b.arrivals.length },
      h('a', { class: 'height', href: routeHref('block', b.hash) }, `#${b.height}`),
      propagationStrip(b, roles, maxMs),
      h('details', { class: 'lan-arrivals', open: open.has(b.hash) },
        h('summary', { id: `arrivals-${b.hash}` }, `${b.arrivals.length} peer${b.arrivals.length === 1 ? '' : 's'}${b.active ? '' : ' · off the active chain'}`),
        h('ul', null,
          b.local !== undefined ? h('li', null, `this node ${b.local.how} it ${formatDelay(b.local.at - b.firstAt)}`) : null,
          b.arrivals.map(a => h('li', null, `${names.get(a.peerId) ?? short(a.peerId)} ${formatDelay(a.delayMs)} via ${VIA[a.via] ?? a.via}`))))))))
}

export function renderStale (el, view) {
  const { from, to } = view.staleWindow
  const stale = view.stale
  const span = Math.max(1, to - from)
  const W = 600
  const H = 34
  const x = height => 10 + (W - 20) * ((height - from) / span)
  const summary = stale.length === 0
    ? `No blocks off the active chain between #${from} and #${to}.`
    : `${stale.length} block${stale.length === 1 ? '' : 's'} off the active chain between #${from} and #${to}.`
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'lan-stale-svg', preserveAspectRatio: 'none', role: 'img', 'aria-label': summary })
  svg.append(s('line', { x1: 10, y1: H - 10, x2: W - 10, y2: H - 10, class: 'lan-axis' }))
  for (const b of stale) {
    svg.append(s('line', { x1: x(b.height), y1: 4, x2: x(b.height), y2: H - 10, class: ['lan-stale-mark', b.invalid && 'invalid'] }, s('title', null, `#${b.height} …${b.hash.slice(-5)}${b.invalid ? ' (invalid)' : ''}`)))
  }
  fill(el,
    h('p', { class: 'muted', 'data-testid': 'lan-stale-summary' }, summary),
    svg,
    h('div', { class: 'lan-stale-ends muted', 'aria-hidden': 'true' }, h('span', null, `#${from}`), h('span', null, `#${to}`)),
    stale.length === 0
      ? null
      : h('ul', { class: 'lan-stale-list' }, stale.slice(-12).reverse().map(b =>
        h('li', null, h('a', { href: routeHref('block', b.hash) }, `#${b.height} …${b.hash.slice(-5)}`), b.invalid ? ' invalid' : ' side branch'))))
}

export function renderLan (parts, view) {
  renderLanNodes(parts.nodes, view)
  renderPropagation(parts.propagation, view)
  renderStale(parts.stale, view)
}
