// Merkle pictures. A proof branch climbs from the transaction (bottom) to
// the root (top): at each level the node on the path sits beside the sibling
// the proof supplied, and the two hash into the next node up. A whole tree
// is drawn for small blocks.
import { s } from '../lib/dom.js'
import { branchPath, merkleLevels } from '../lib/merkle.js'

const BOX_W = 150
const BOX_H = 34
const ROW = 64
const GAP = 24

function short (hash) {
  return `${hash.slice(0, 8)}…${hash.slice(-6)}`
}

function box (cx, cy, cls, caption, hash, title) {
  const g = s('g', null)
  g.append(s('title', null, title ?? hash))
  g.append(s('rect', { x: cx - BOX_W / 2, y: cy - BOX_H / 2, width: BOX_W, height: BOX_H, rx: 6, class: ['merkle-box', cls] }))
  g.append(s('text', { x: cx, y: cy - 4, 'text-anchor': 'middle', class: 'merkle-caption' }, caption))
  g.append(s('text', { x: cx, y: cy + 10, 'text-anchor': 'middle', class: 'merkle-hash' }, short(hash)))
  return g
}

/**
 * The branch of an SPV proof, recomputed here. Returns the SVG and whether
 * the recomputed root equals the block header's Merkle root.
 */
export function proofSvg (txid, proof) {
  const { steps, root } = branchPath(txid, proof.branch, proof.index)
  const ok = root === String(proof.merkleRoot).toLowerCase()
  const levels = steps.length
  const width = BOX_W * 2 + GAP + 40
  const cx = width / 2
  const offset = (BOX_W + GAP) / 2
  const height = (levels + 1) * ROW + 8
  const rowY = (level) => height - 8 - ROW / 2 - level * ROW
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `Merkle branch of ${levels} step${levels === 1 ? '' : 's'} from transaction ${txid} to root ${root}; ${ok ? 'matches' : 'does not match'} the block header` })
  const edges = s('g', null)
  const boxes = s('g', null)
  // x of the path node at each level: beside its sibling; the root in the middle
  const pathX = steps.map(st => st.siblingLeft ? cx + offset : cx - offset)
  pathX.push(cx)
  steps.forEach((st, level) => {
    const y = rowY(level)
    const sx = st.siblingLeft ? cx - offset : cx + offset
    const px = pathX[level]
    const up = rowY(level + 1) + BOX_H / 2
    edges.append(s('path', { d: `M${px},${y - BOX_H / 2} L${pathX[level + 1]},${up}`, class: 'merkle-edge merkle-edge-path' }))
    edges.append(s('path', { d: `M${sx},${y - BOX_H / 2} L${pathX[level + 1]},${up}`, class: 'merkle-edge' }))
    const isLeaf = level === 0
    boxes.append(box(px, y, isLeaf ? 'merkle-leaf' : 'merkle-path', isLeaf ? `your transaction (#${proof.index})` : `computed, level ${level}`, st.node))
    boxes.append(box(sx, y, 'merkle-sibling', `sibling from proof, ${st.siblingLeft ? 'left' : 'right'}`, st.sibling))
  })
  const rootCaption = levels === 0 ? 'transaction = Merkle root' : ok ? 'root = block header ✓' : 'root ≠ block header ✗'
  boxes.append(box(cx, rowY(levels), ok ? 'merkle-root' : 'merkle-root-bad', rootCaption, root, `computed root ${root}\nheader's root ${proof.merkleRoot}`))
  svg.append(edges, boxes)
  return { svg, ok, root }
}

/** The whole tree of a block's transactions (small blocks), leaves at the bottom. */
export function treeSvg (txids, headerRoot) {
  const levels = merkleLevels(txids)
  const leaves = levels[0].length
  const slot = 100
  const width = Math.max(BOX_W + 20, leaves * slot + 20)
  const height = levels.length * ROW + 8
  const rowY = (level) => height - 8 - ROW / 2 - level * ROW
  const xAt = (level, i) => {
    const span = 2 ** level
    const first = i * span
    const last = Math.min(leaves - 1, first + span - 1)
    return 10 + slot * ((first + last) / 2 + 0.5)
  }
  const root = levels[levels.length - 1][0]
  const ok = root === String(headerRoot).toLowerCase()
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `Merkle tree of ${leaves} transaction${leaves === 1 ? '' : 's'}` })
  const edges = s('g', null)
  const boxes = s('g', null)
  const small = (cx, cy, cls, text, title) => {
    const g = s('g', null)
    g.append(s('title', null, title))
    g.append(s('rect', { x: cx - 42, y: cy - 13, width: 84, height: 26, rx: 5, class: ['merkle-box', cls] }))
    g.append(s('text', { x: cx, y: cy + 4, 'text-anchor': 'middle', class: 'merkle-hash' }, text))
    return g
  }
  levels.forEach((level, li) => {
    level.forEach((hash, i) => {
      const cx = xAt(li, i)
      const cy = rowY(li)
      if (li > 0) {
        for (const child of [2 * i, 2 * i + 1]) {
          if (child >= levels[li - 1].length) continue
          edges.append(s('path', { d: `M${cx},${cy + 13} L${xAt(li - 1, child)},${rowY(li - 1) - 13}`, class: 'merkle-edge' }))
        }
      }
      const isRoot = li === levels.length - 1
      const cls = isRoot ? (ok ? 'merkle-root' : 'merkle-root-bad') : li === 0 ? 'merkle-path' : 'merkle-other'
      const label = li === 0 ? `tx ${i}` : isRoot ? 'root' : ''
      const title = `${isRoot ? 'Merkle root' : li === 0 ? `transaction ${i}` : `level ${li} node ${i}`}\n${hash}`
      boxes.append(small(cx, cy, cls, `${label}${label === '' ? '' : ' '}${hash.slice(0, 6)}`, title))
    })
  })
  svg.append(edges, boxes)
  return { svg, ok, root }
}
