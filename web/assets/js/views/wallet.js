// The wallet: balances, addresses (copy, new), recent activity and the send
// form. The form checks the address (bech32m checksum and this network's
// prefix) and the amount here before anything is sent; the node's own
// answer (a txid or its error message) is shown as it comes.
import { api, ApiFailure } from '../lib/api.js'
import { addressProblem } from '../lib/bech32m.js'
import { AmountError, formatCoins, formatDelta, parseCoins, TICKER } from '../lib/amount.js'
import { copyButton, emptyNote, fill, h, hashText, routeHref } from '../lib/dom.js'
import { ago, dateTime } from '../lib/format.js'

function amountNode (units, cls = 'balance-value', testid) {
  return h('span', { class: cls, 'data-testid': testid }, formatCoins(units), h('span', { class: 'unit' }, TICKER))
}

export function renderBalances (el, wallet) {
  const b = wallet.balance
  const items = [
    h('div', { class: 'balance-main' }, h('span', { class: 'balance-label' }, 'Confirmed balance'), amountNode(b.confirmed, 'balance-value', 'balance-confirmed')),
    h('div', null, h('span', { class: 'balance-label' }, 'Pending'), amountNode(b.pending, 'balance-value', 'balance-pending'))
  ]
  if (b.immature !== undefined) {
    items.push(h('div', { title: 'Mined coins spendable after the coinbase maturity' }, h('span', { class: 'balance-label' }, 'Immature (mined)'), amountNode(b.immature, 'balance-value', 'balance-immature')))
  }
  fill(el, items)
}

export function renderAddresses (el, wallet, flash) {
  // unchanged list: keep the rows (and a "Copied" confirmation) as they are
  const key = JSON.stringify([wallet.addresses, flash])
  if (el.dataset.key === key) return
  el.dataset.key = key
  if (wallet.addresses.length === 0) {
    fill(el, h('li', null, 'No addresses yet'))
    return
  }
  // newest first: the one to hand out
  fill(el, [...wallet.addresses].reverse().map(a => h('li', { class: a === flash ? 'fresh' : null, 'data-address': a },
    h('span', { class: 'hash', title: a }, a),
    copyButton(a))))
}

export function renderActivity (el, wallet, role) {
  const txs = wallet.transactions ?? []
  if (txs.length === 0) {
    fill(el, h('li', null, emptyNote(role === 'spv' ? 'No payments yet. Payments to your addresses appear here once a full node proves them.' : 'No transactions yet.')))
    return
  }
  fill(el, txs.slice(0, 8).map(t => {
    const meta = []
    // below the wallet's required depth: "2/6 conf." (the payment does not count as confirmed yet)
    const required = wallet.confirmationsRequired
    const shallow = required !== undefined && t.confirmations < required && t.confirmed !== true
    if (t.confirmations > 0) meta.push(t.height !== undefined ? `block #${t.height}` : 'confirmed', shallow ? `${t.confirmations}/${required} conf.` : `${t.confirmations} conf.`)
    else meta.push('pending')
    if (t.time !== undefined) meta.push(ago(t.time))
    return h('li', { 'data-txid': t.txid },
      h('span', null, hashText(t.txid, { link: routeHref('tx', t.txid) }),
        h('span', { class: 'meta', title: t.time !== undefined ? dateTime(t.time) : null }, meta.join(' · '), t.proof !== undefined ? ' · ' : '', t.proof !== undefined ? h('span', { class: 'pill pill-good' }, 'Merkle proof ✓') : null)),
      h('span', { class: ['delta', String(t.delta).startsWith('-') ? 'minus' : 'plus'] }, formatDelta(t.delta)))
  }))
}

function setFieldError (input, errorEl, message) {
  errorEl.textContent = message ?? ''
  if (message) input.setAttribute('aria-invalid', 'true')
  else input.removeAttribute('aria-invalid')
}

/**
 * Wires the send form. `ctx` gives the network, the latest wallet view,
 * `requireToken()` (opens the unlock dialog when needed) and `onSent(txid)`.
 */
export function setupSendForm (form, ctx) {
  const to = form.querySelector('#send-to')
  const amount = form.querySelector('#send-amount')
  const fee = form.querySelector('#send-fee')
  const toErr = form.querySelector('#send-to-error')
  const amountErr = form.querySelector('#send-amount-error')
  const feeErr = form.querySelector('#send-fee-error')
  const result = form.querySelector('#send-result')
  const submit = form.querySelector('#send-submit')
  let tried = false

  const check = () => {
    const out = { ok: true }
    const addrProblem = addressProblem(to.value, ctx.network())
    setFieldError(to, toErr, addrProblem)
    if (addrProblem !== null) out.ok = false
    else out.to = to.value.trim()
    try {
      out.amount = parseCoins(amount.value)
      setFieldError(amount, amountErr, null)
    } catch (err) {
      if (!(err instanceof AmountError)) throw err
      setFieldError(amount, amountErr, err.message)
      out.ok = false
    }
    if (fee.value.trim() === '') {
      out.fee = undefined
      setFieldError(fee, feeErr, null)
    } else {
      try {
        out.fee = parseCoins(fee.value, { allowZero: true })
        setFieldError(fee, feeErr, null)
      } catch (err) {
        if (!(err instanceof AmountError)) throw err
        setFieldError(fee, feeErr, err.message)
        out.ok = false
      }
    }
    const w = ctx.wallet()
    if (out.ok && w !== null) {
      const confirmed = BigInt(w.balance.confirmed)
      const pending = BigInt(w.balance.pending)
      const spendable = confirmed + (pending > 0n ? pending : 0n)
      const need = out.amount + (out.fee ?? 0n)
      if (need > spendable) {
        setFieldError(amount, amountErr, `more than this wallet can spend (${formatCoins(spendable.toString())} ${TICKER}${out.fee === undefined ? ' before the fee' : ' including the fee'})`)
        out.ok = false
      }
    }
    return out
  }

  for (const input of [to, amount, fee]) {
    input.addEventListener('blur', () => { if (tried || input.value.trim() !== '') check() })
    input.addEventListener('input', () => { if (tried) check() })
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    tried = true
    const v = check()
    if (!v.ok) {
      result.replaceChildren()
      form.querySelector('[aria-invalid="true"]')?.focus()
      return
    }
    if (!(await ctx.requireToken())) {
      fill(result, h('div', { class: 'result result-error', 'data-testid': 'send-error' }, 'Not sent: the node\'s token is needed to send.'))
      return
    }
    const hadFocus = document.activeElement === submit
    submit.disabled = true
    submit.textContent = 'Sending…'
    try {
      const { txid } = await api.send(v.to, v.amount.toString(), v.fee?.toString())
      fill(result, h('div', { class: 'result result-ok', 'data-testid': 'send-ok' },
        h('strong', null, `Sent ${formatCoins(v.amount.toString())} ${TICKER}.`), ' Transaction:',
        h('a', { class: 'hash', href: routeHref('tx', txid), 'data-testid': 'send-txid', title: txid }, txid)))
      amount.value = ''
      fee.value = ''
      tried = false
      ctx.onSent(txid)
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401) ctx.tokenRejected()
      const message = err instanceof ApiFailure ? err.message : 'Sending failed.'
      fill(result, h('div', { class: 'result result-error', 'data-testid': 'send-error' }, 'Not sent: ', message,
        err instanceof ApiFailure && err.code !== '' ? h('span', { class: 'muted' }, ` (${err.code})`) : null))
    } finally {
      submit.disabled = false
      submit.textContent = 'Send'
      // a disabled button loses the focus: give it back to the keyboard user who pressed it
      if (hadFocus) submit.focus()
    }
  })
}

export function setupNewAddress (button, message, ctx) {
  button.addEventListener('click', async () => {
    if (!(await ctx.requireToken())) return
    button.disabled = true
    message.className = 'form-message'
    message.textContent = ''
    try {
      const { address } = await api.newAddress()
      message.className = 'form-message ok'
      message.textContent = 'New address added.'
      await ctx.onNewAddress(address)
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401) ctx.tokenRejected()
      message.className = 'form-message error'
      message.textContent = err instanceof ApiFailure ? err.message : 'Could not create an address.'
    } finally {
      button.disabled = false
    }
  })
}

export { amountNode }
