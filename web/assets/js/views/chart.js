// Block intervals (bars, seconds since the block before) and difficulty (a
// step line on its own scale) over the recent active chain, with the
// network's target interval as a dashed line. Drawn at the container's
// width so text stays readable on a phone.
import { s } from '../lib/dom.js'
import { difficultyOfBits, formatDuration, formatDurationShort, formatSi } from '../lib/format.js'

/** Bars from blocks newest-first: [{height, interval, difficulty}], oldest first. */
export function chartSeries (blocks) {
  const asc = [...blocks].sort((a, b) => a.height - b.height)
  const out = []
  for (let i = 1; i < asc.length; i++) {
    if (asc[i].height !== asc[i - 1].height + 1) continue
    // genesis carries a fixed date from the network's parameters: the gap after it means nothing
    if (asc[i - 1].height === 0) continue
    out.push({ height: asc[i].height, interval: asc[i].time - asc[i - 1].time, difficulty: difficultyOfBits(asc[i].bits), time: asc[i].time })
  }
  return out
}

/** The smallest of 1, 2, 2.5, 5 x 10^k that is at least v. */
function niceStep (v) {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v * (1 - 1e-9)) return m * p
  return 10 * p
}

/** An axis from 0 with round ticks: about `ticks` divisions covering `max`. */
function niceAxis (max, ticks = 4) {
  const step = niceStep(max / ticks)
  const divisions = Math.max(1, Math.ceil(max / step - 1e-9))
  return { top: step * divisions, step, divisions }
}

function tickLabel (v) {
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2)))
}

function quantile (values, q) {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

export function renderChart (container, blocks, targetSeconds) {
  const series = chartSeries(blocks)
  const width = Math.max(300, Math.floor(container.clientWidth || 640))
  const narrow = width < 480
  const height = narrow ? 200 : 230
  const m = { left: 40, right: narrow ? 46 : 56, top: 14, bottom: 28 }
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Seconds between blocks and difficulty by height' })
  if (series.length === 0) {
    svg.append(s('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'label' }, 'Waiting for blocks…'))
    container.replaceChildren(svg)
    return
  }
  const iw = width - m.left - m.right
  const ih = height - m.top - m.bottom
  const intervals = series.map(p => Math.max(0, p.interval))
  // Long gaps (the jump from a genesis made long ago, a stopped miner) would flatten every other bar: clip them.
  const cap = Math.max((targetSeconds ?? 1) * 3, quantile(intervals, 0.5) * 4, 1)
  const yAxis = niceAxis(Math.max(Math.min(Math.max(...intervals), cap), (targetSeconds ?? 0) * 1.2, 1))
  const yMax = yAxis.top
  const diffs = series.map(p => p.difficulty).filter(Number.isFinite)
  const dMaxRaw = diffs.length > 0 ? Math.max(...diffs) : 1
  // the difficulty scale shares the grid lines of the interval scale
  const dMax = niceStep((dMaxRaw * 1.1) / yAxis.divisions) * yAxis.divisions
  const n = series.length
  const slot = iw / n
  const barW = Math.max(1, Math.min(18, slot * 0.72))
  const xc = (i) => m.left + slot * (i + 0.5)
  const yI = (v) => m.top + ih - (Math.min(v, yMax) / yMax) * ih
  const yD = (v) => m.top + ih - (v / dMax) * ih

  const grid = s('g', { class: 'grid' })
  const axisL = s('g', { class: 'axis' })
  const axisR = s('g', { class: 'axis' })
  for (let k = 0; k <= yAxis.divisions; k++) {
    const v = yAxis.step * k
    const yy = yI(v)
    grid.append(s('line', { x1: m.left, x2: m.left + iw, y1: yy, y2: yy }))
    axisL.append(s('text', { x: m.left - 6, y: yy + 3.5, 'text-anchor': 'end' }, `${tickLabel(v)}s`))
    axisR.append(s('text', { x: m.left + iw + 6, y: yD((dMax * k) / yAxis.divisions) + 3.5, 'text-anchor': 'start' }, formatSi((dMax * k) / yAxis.divisions)))
  }
  svg.append(grid, axisL, axisR)

  const bars = s('g', null)
  series.forEach((p, i) => {
    const clipped = p.interval > yMax
    const top = yI(p.interval)
    const barH = Math.max(1.5, m.top + ih - top)
    const rect = s('rect', { x: xc(i) - barW / 2, y: m.top + ih - barH, width: barW, height: barH, class: clipped ? 'bar bar-clipped' : 'bar' })
    rect.append(s('title', null, `#${p.height}: ${formatDuration(p.interval)} after the block before${clipped ? ' (clipped)' : ''}; difficulty ${formatSi(p.difficulty)}`))
    bars.append(rect)
    // a clipped bar says how long it really was
    if (clipped && slot >= 16) bars.append(s('text', { x: xc(i), y: m.top - 3, 'text-anchor': 'middle', class: 'tick' }, formatDurationShort(p.interval)))
  })
  svg.append(bars)

  if (targetSeconds !== undefined && targetSeconds <= yMax) {
    const ty = yI(targetSeconds)
    svg.append(s('line', { x1: m.left, x2: m.left + iw, y1: ty, y2: ty, class: 'target-line' }))
  }

  let d = ''
  series.forEach((p, i) => {
    if (!Number.isFinite(p.difficulty)) return
    const x0 = m.left + slot * i
    const x1 = m.left + slot * (i + 1)
    const yy = yD(p.difficulty)
    d += d === '' ? `M${x0},${yy} L${x1},${yy}` : ` L${x0},${yy} L${x1},${yy}`
  })
  if (d !== '') svg.append(s('path', { d, class: 'diff-line' }))

  const axisB = s('g', { class: 'axis' })
  axisB.append(s('line', { x1: m.left, x2: m.left + iw, y1: m.top + ih, y2: m.top + ih }))
  // height labels at round numbers, as many as fit
  const room = Math.max(1, Math.floor(iw / (narrow ? 60 : 70)))
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000].find(st => n / st <= room) ?? Math.ceil(n / room)
  series.forEach((p, i) => {
    if (p.height % step === 0) axisB.append(s('text', { x: xc(i), y: m.top + ih + 16, 'text-anchor': 'middle' }, `#${p.height}`))
  })
  svg.append(axisB)
  container.replaceChildren(svg)
}
