// The node's API token (the content of <data-dir>/.cookie), pasted by the
// user and kept in sessionStorage: it lives as long as the tab, is never
// put in a URL, and is sent only in the Authorization header of POSTs to
// this same origin.

const KEY = 'minicoin.apiToken'
const listeners = new Set()
let memory = null

function storage () {
  try {
    return window.sessionStorage
  } catch {
    return null
  }
}

export function getToken () {
  const st = storage()
  if (st === null) return memory
  try {
    return st.getItem(KEY)
  } catch {
    return memory
  }
}

/** Only hex tokens like the node writes; whitespace from a paste is dropped. */
export function normaliseToken (text) {
  const t = String(text).trim()
  return /^[0-9a-fA-F]{16,256}$/.test(t) ? t.toLowerCase() : null
}

export function setToken (token) {
  memory = token
  try {
    storage()?.setItem(KEY, token)
  } catch {
    // storage full or blocked: the in-memory copy serves this page
  }
  for (const l of listeners) l(true)
}

export function clearToken () {
  memory = null
  try {
    storage()?.removeItem(KEY)
  } catch {
    // nothing stored
  }
  for (const l of listeners) l(false)
}

export function hasToken () {
  const t = getToken()
  return t !== null && t !== ''
}

export function onTokenChange (fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}
