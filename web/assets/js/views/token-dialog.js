// The unlock dialog: the user pastes the node's token (from
// <data-dir>/.cookie); it is checked against the node without side effects
// and kept in this tab's sessionStorage.
import { api, ApiFailure } from '../lib/api.js'
import { clearToken, hasToken, normaliseToken, setToken } from '../lib/token.js'

export function setupTokenDialog ({ dialog, button }) {
  const form = dialog.querySelector('#token-form')
  const input = dialog.querySelector('#token-input')
  const error = dialog.querySelector('#token-error')
  const cancel = dialog.querySelector('#token-cancel')
  const forget = dialog.querySelector('#token-forget')
  const save = dialog.querySelector('#token-save')
  let waiters = []

  const settle = (ok) => {
    const w = waiters
    waiters = []
    for (const resolve of w) resolve(ok)
  }

  const open = () => {
    error.textContent = ''
    input.value = ''
    input.removeAttribute('aria-invalid')
    forget.hidden = !hasToken()
    if (!dialog.open) dialog.showModal()
    input.focus()
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const token = normaliseToken(input.value)
    if (token === null) {
      error.textContent = 'That is not a token: paste the hex string from the .cookie file.'
      input.setAttribute('aria-invalid', 'true')
      return
    }
    save.disabled = true
    try {
      if (await api.checkToken(token)) {
        setToken(token)
        dialog.close('ok')
      } else {
        error.textContent = 'The node refused this token. It changes every time the node starts: copy the current .cookie.'
        input.setAttribute('aria-invalid', 'true')
      }
    } catch (err) {
      error.textContent = err instanceof ApiFailure ? err.message : 'Could not check the token.'
    } finally {
      save.disabled = false
    }
  })
  cancel.addEventListener('click', () => dialog.close('cancel'))
  forget.addEventListener('click', () => {
    clearToken()
    dialog.close('forget')
  })
  dialog.addEventListener('close', () => {
    input.value = ''
    settle(hasToken())
  })
  button.addEventListener('click', open)

  return {
    open,
    /** True at once when a token is stored; otherwise asks for one. */
    async require () {
      if (hasToken()) return true
      const p = new Promise(resolve => waiters.push(resolve))
      open()
      return await p
    }
  }
}
