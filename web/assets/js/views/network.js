// This node and its peers: facts about the node, a small graph (this node in
// the middle, its peers around it, edges between peers when they report
// their links) and the peer list.
import { copyButton, emptyNote, fields, fill, h, s, setText } from '../lib/dom.js'
import { ago, formatDuration } from '../lib/format.js'

const ROLES = new Set(['miner', 'full', 'spv'])

function roleOf (peer) {
  return ROLES.has(peer.role) ? peer.role : 'unknown'
}

function uptimeOf (st) {
  return Number.isFinite(st.startedAt) ? formatDuration((Date.now() - st.startedAt) / 1000) : '–'
}

/** Rebuilt only when the node's identity or addresses change, so an opened list stays open. */
export function renderNodeInfo (el, st) {
  const listen = Array.isArray(st.listen) ? st.listen : []
  const key = JSON.stringify([st.peerId, st.role, st.network, listen])
  if (el.dataset.key === key) {
    const up = el.querySelector('[data-testid="uptime"]')
    if (up !== null) setText(up, uptimeOf(st))
    return
  }
  el.dataset.key = key
  fill(el, fields([
    ['Peer id', h('span', { class: 'inline' }, h('span', { class: 'hash', title: st.peerId, 'data-testid': 'peer-id' }, st.peerId), copyButton(st.peerId))],
    ['Role', `${st.role} node on ${st.network}`],
    ['Up for', h('span', { 'data-testid': 'uptime' }, uptimeOf(st))],
    ['Listening', listen.length === 0
      ? 'no addresses'
      : h('details', { class: 'listen' }, h('summary', null, `${listen.length} address${listen.length === 1 ? '' : 'es'}`),
        h('ul', null, listen.map(a => h('li', null, h('span', { class: 'hash-wrap' }, a)))))]
  ]))
}

export function renderPeerGraph (el, st, peers) {
  const width = 380
  // peers on an ellipse around this node, room above and below for labels;
  // one or two peers sit left and right on a single row
  const many = peers.length > 2
  const height = many ? 270 : 130
  const cx = width / 2
  const cy = many ? 135 : 60
  const rx = cx - 60
  const ry = many ? 85 : 0
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `This ${st.role} node and its ${peers.length} peer${peers.length === 1 ? '' : 's'}` })
  const pos = new Map()
  peers.forEach((p, i) => {
    // from the left, clockwise: two peers sit left and right of this node
    const a = Math.PI + (2 * Math.PI * i) / Math.max(1, peers.length) + (peers.length > 2 ? Math.PI / 2 : 0)
    pos.set(p.peerId, { x: cx + rx * Math.cos(a), y: cy + ry * Math.sin(a) })
  })
  const edges = s('g', null)
  const drawn = new Set()
  for (const p of peers) {
    const a = pos.get(p.peerId)
    edges.append(s('line', { x1: cx, y1: cy, x2: a.x, y2: a.y, class: 'graph-edge' }, s('title', null, `${p.direction} connection`)))
    for (const other of Array.isArray(p.links) ? p.links : []) {
      const b = pos.get(other)
      const key = [p.peerId, other].sort().join(' ')
      if (b === undefined || drawn.has(key)) continue
      drawn.add(key)
      edges.append(s('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'graph-edge graph-edge-peer' }))
    }
  }
  svg.append(edges)
  const node = (x, y, role, label, sub, self, title) => {
    const g = s('g', null, s('title', null, title))
    const r = self ? 24 : 18
    g.append(s('circle', { cx: x, cy: y, r, class: ['graph-node', `role-${role}`, self && 'graph-self'] }))
    g.append(s('text', { x, y: y + 4, 'text-anchor': 'middle', class: 'graph-node-text' }, role === 'unknown' ? '?' : role === 'miner' ? 'M' : role === 'full' ? 'F' : 'S'))
    // labels away from the centre, so the edges to this node do not run through them
    const above = !self && y < cy - 5
    const first = above ? y - r - (sub === '' ? 6 : 19) : y + r + 14
    g.append(s('text', { x, y: first, 'text-anchor': 'middle', class: 'label-strong' }, label))
    if (sub !== '') g.append(s('text', { x, y: first + 13, 'text-anchor': 'middle', class: 'label mono' }, sub))
    return g
  }
  for (const p of peers) {
    const a = pos.get(p.peerId)
    const role = roleOf(p)
    svg.append(node(a.x, a.y, role, role === 'unknown' ? 'peer' : role, `…${p.peerId.slice(-6)}`, false, `${p.peerId}\n${role === 'unknown' ? 'role unknown' : role} · ${p.direction}${Number.isFinite(p.height) ? ` · height ${p.height}` : ''}`))
  }
  svg.append(node(cx, cy, st.role, `this ${st.role}`, '', true, st.peerId))
  if (peers.length === 0) svg.append(s('text', { x: cx, y: 24, 'text-anchor': 'middle', class: 'label' }, 'No peers connected'))
  fill(el, svg)
}

export function renderPeerList (el, peers) {
  if (peers.length === 0) {
    fill(el, h('li', null, emptyNote('No peers. Is another node running and reachable?')))
    return
  }
  fill(el, peers.map(p => {
    const role = roleOf(p)
    return h('li', { 'data-peer': p.peerId },
      h('span', { class: ['role-tag', `role-${role}`] }, role === 'unknown' ? 'peer' : role),
      h('span', { class: 'hash', title: p.peerId }, p.peerId),
      h('span', { class: 'pill', title: `score ${p.score}` },
        `${p.direction === 'inbound' ? 'in' : 'out'}${Number.isFinite(p.height) ? ` · #${p.height}` : ''} · ${ago(p.connectedAt / 1000)}`))
  }))
}
