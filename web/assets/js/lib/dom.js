// Building DOM from data. Everything that came from the node (hashes,
// addresses, amounts, error messages) becomes text nodes or attribute values,
// never HTML: there is no innerHTML anywhere in the dashboard.

const SVG_NS = 'http://www.w3.org/2000/svg'

function append (parent, child) {
  if (child === null || child === undefined || child === false) return
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c)
    return
  }
  parent.append(child instanceof Node ? child : document.createTextNode(String(child)))
}

function applyProps (el, props) {
  if (props === null || props === undefined) return
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value)
    else if (key === 'testid') el.setAttribute('data-testid', value)
    else if (key === 'text') el.textContent = String(value)
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value)
    else if (key === 'dataset') Object.assign(el.dataset, value)
    else el.setAttribute(key, value === true ? '' : String(value))
  }
}

/** An HTML element: h('a', { href: '#/', class: 'x' }, 'text', child, ...). */
export function h (tag, props, ...children) {
  const el = document.createElement(tag)
  applyProps(el, props)
  append(el, children)
  return el
}

/** An SVG element, same calling convention. */
export function s (tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag)
  applyProps(el, props)
  append(el, children)
  return el
}

export function $ (selector, root = document) {
  return root.querySelector(selector)
}

/** Replaces the children of `el`. */
export function fill (el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

/** Sets textContent only when it changed (keeps selections steady on live updates). */
export function setText (el, text) {
  const t = String(text)
  if (el.textContent !== t) el.textContent = t
}

/** An internal link to a dashboard route; ids are URI-encoded. */
export function routeHref (kind, id) {
  return `#/${kind}/${encodeURIComponent(String(id))}`
}

/** A hash shown in monospace, shortened by CSS when space is short, whole in the tooltip. */
export function hashText (hash, { link, className } = {}) {
  const props = { class: ['hash', className], title: hash }
  if (link !== undefined) return h('a', { ...props, href: link }, hash)
  return h('span', props, hash)
}

/** A short form of a long id: first and last characters. */
export function shortId (id, head = 8, tail = 6) {
  const str = String(id)
  return str.length <= head + tail + 1 ? str : `${str.slice(0, head)}…${str.slice(-tail)}`
}

/** Copies text; falls back to selecting a hidden field when the clipboard API is unavailable. */
export async function copyText (text) {
  try {
    if (navigator.clipboard !== undefined && window.isSecureContext) {
      await navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    // fall through
  }
  const field = h('textarea', { class: 'offscreen', readonly: true })
  field.value = text
  document.body.append(field)
  field.select()
  let ok = false
  try {
    ok = document.execCommand('copy')
  } catch {
    ok = false
  }
  field.remove()
  return ok
}

/** A button that copies `text` and says so for a moment. */
export function copyButton (text, label = 'Copy') {
  const btn = h('button', { type: 'button', class: 'btn btn-small btn-ghost copy', title: `Copy ${text}`, 'aria-label': `Copy ${text}` }, label)
  btn.addEventListener('click', async () => {
    const ok = await copyText(text)
    btn.textContent = ok ? 'Copied ✓' : 'Copy failed'
    btn.classList.toggle('done', ok)
    setTimeout(() => {
      btn.textContent = label
      btn.classList.remove('done')
    }, 1500)
  })
  return btn
}

/** A definition list from [label, value] pairs (value: string or node). */
export function fields (rows, className = 'fields') {
  return h('dl', { class: className }, rows.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))
}

export function emptyNote (text) {
  return h('p', { class: 'empty' }, text)
}

/** What identifies a focusable element across a re-render: its link, test id or id. */
function focusKey (el) {
  for (const attr of ['href', 'data-testid', 'id']) {
    const v = el.getAttribute(attr)
    if (v !== null) return [attr, v]
  }
  return null
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select, textarea, summary, [tabindex]:not([tabindex="-1"])'

/**
 * Runs `render` (which rebuilds `container`'s content) without taking the
 * keyboard focus away: a live update every few seconds must not throw a
 * keyboard or screen-reader user back to the top of the page. The element
 * with the same link (or test id, or id) is focused again when it is still
 * there; when it is gone (its row scrolled out of a live list), its
 * neighbour at the same position in the container takes the focus.
 */
export function keepingFocus (container, render) {
  const active = document.activeElement
  const inside = active !== null && active !== container && container.contains(active)
  const key = inside ? focusKey(active) : null
  const position = inside ? [...container.querySelectorAll(FOCUSABLE)].indexOf(active) : -1
  const result = render()
  if (inside && !container.contains(document.activeElement)) {
    const again = key === null ? undefined : [...container.querySelectorAll(`[${key[0]}]`)].find(el => el.getAttribute(key[0]) === key[1])
    const focusables = [...container.querySelectorAll(FOCUSABLE)]
    const target = again ?? (position >= 0 ? focusables[Math.min(position, focusables.length - 1)] : undefined)
    target?.focus({ preventScroll: true })
  }
  return result
}
