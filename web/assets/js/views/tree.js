// The block tree as SVG: heights left to right, the active chain on the top
// lane, each side branch on a lane of its own below it, so a reorg shows as
// the highlighted lane switching branches. Invalid blocks are red, blocks
// known only by their header are dashed, a block whose parent is not in
// view hangs from a dashed stub.
import { routeHref, s } from '../lib/dom.js'
import { dateTime } from '../lib/format.js'

const COL = 70
const LANE = 46
const BOX_W = 56
const BOX_H = 26
const PAD_X = 16
const PAD_TOP = 26

/** Lanes for the nodes: 0 for the active chain, 1.. for side branches. Pure, for tests too. */
export function layoutTree (nodes) {
  const sorted = [...nodes].sort((a, b) => a.height - b.height || (a.active === b.active ? a.hash.localeCompare(b.hash) : a.active ? -1 : 1))
  const byHash = new Map(sorted.map(n => [n.hash, n]))
  const lane = new Map()
  const laneEnd = [Infinity] // last height used on each lane; lane 0 belongs to the active chain
  const childTaken = new Set() // parents whose lane has been continued by a child
  const minHeight = sorted.length > 0 ? sorted[0].height : 0
  for (const n of sorted) {
    if (n.active) {
      lane.set(n.hash, 0)
      continue
    }
    const parent = byHash.get(n.prevHash)
    const parentLane = parent === undefined ? undefined : lane.get(parent.hash)
    if (parent !== undefined && !parent.active && parentLane !== undefined && !childTaken.has(parent.hash)) {
      childTaken.add(parent.hash)
      lane.set(n.hash, parentLane)
      laneEnd[parentLane] = n.height
      continue
    }
    // a new branch: the first lane free from the column before this one
    let l = 1
    while (l < laneEnd.length && laneEnd[l] >= n.height - 1) l++
    laneEnd[l] = n.height
    lane.set(n.hash, l)
    if (parent !== undefined && !parent.active) childTaken.add(parent.hash)
  }
  const maxHeight = sorted.length > 0 ? sorted[sorted.length - 1].height : 0
  const placed = sorted.map(n => ({ ...n, lane: lane.get(n.hash), col: n.height - minHeight }))
  const edges = []
  for (const n of placed) {
    const parent = byHash.get(n.prevHash)
    if (parent !== undefined) edges.push({ from: { col: parent.height - minHeight, lane: lane.get(parent.hash) }, to: { col: n.col, lane: n.lane }, active: n.active && parent.active, orphan: false })
    else if (n.height > minHeight) edges.push({ from: { col: n.col - 0.6, lane: n.lane }, to: { col: n.col, lane: n.lane }, active: false, orphan: true })
  }
  return { nodes: placed, edges, minHeight, maxHeight, lanes: Math.max(1, ...placed.map(n => n.lane + 1)) }
}

function x (col) { return PAD_X + col * COL }
function y (lane) { return PAD_TOP + lane * LANE }

function statusOf (n) {
  if (n.invalid) return 'invalid'
  if (!n.active) return 'side branch'
  return 'active chain'
}

export function renderTree (container, nodes, tipHash) {
  if (nodes.length === 0) {
    container.replaceChildren(s('svg', { width: 200, height: 40 }, s('text', { x: 0, y: 24, class: 'label' }, 'No blocks yet')))
    return
  }
  const { nodes: placed, edges, minHeight, maxHeight, lanes } = layoutTree(nodes)
  const cols = maxHeight - minHeight + 1
  const width = PAD_X * 2 + (cols - 1) * COL + BOX_W
  const height = PAD_TOP + (lanes - 1) * LANE + BOX_H + 10
  // a group, not an image: it holds a link per block, and an image's content is hidden from assistive technology
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': `Block tree from height ${minHeight} to ${maxHeight}` })

  const heights = s('g', null)
  for (let h = minHeight; h <= maxHeight; h++) {
    heights.append(s('text', { x: x(h - minHeight) + BOX_W / 2, y: 12, 'text-anchor': 'middle', class: 'tree-height' }, String(h)))
  }
  svg.append(heights)

  const edgeLayer = s('g', null)
  for (const e of edges) {
    const x1 = x(e.from.col) + (e.orphan ? 0 : BOX_W)
    const y1 = y(e.from.lane) + BOX_H / 2
    const x2 = x(e.to.col)
    const y2 = y(e.to.lane) + BOX_H / 2
    const mid = (x1 + x2) / 2
    const d = y1 === y2 ? `M${x1},${y1} L${x2},${y2}` : `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`
    edgeLayer.append(s('path', { d, class: ['tree-edge', e.active && 'active', e.orphan && 'orphan'] }))
  }
  svg.append(edgeLayer)

  for (const n of placed) {
    const cls = ['tree-node', n.invalid ? 'invalid' : n.active ? 'active' : 'side', !n.hasData && 'headers', n.hash === tipHash && 'tip']
    const label = n.invalid ? `✗ ${n.hash.slice(-4)}` : `…${n.hash.slice(-5)}`
    const g = s('g', { class: cls, 'data-hash': n.hash })
    g.append(s('title', null, `#${n.height} ${n.hash}\n${statusOf(n)}${n.hasData ? '' : ' · header only'}${n.hash === tipHash ? ' · tip' : ''}\n${dateTime(n.time)}`))
    const link = s('a', { href: routeHref('block', n.hash), 'aria-label': `Block #${n.height} …${n.hash.slice(-5)}, ${statusOf(n)}${n.hasData ? '' : ', header only'}${n.hash === tipHash ? ', tip' : ''}` })
    link.append(
      s('rect', { x: x(n.col), y: y(n.lane), width: BOX_W, height: BOX_H, rx: 5 }),
      s('text', { x: x(n.col) + BOX_W / 2, y: y(n.lane) + BOX_H / 2 + 3.5, 'text-anchor': 'middle' }, label)
    )
    g.append(link)
    svg.append(g)
  }
  container.replaceChildren(svg)
}
