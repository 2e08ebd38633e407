// Privacy authorisation (用户隐私保护指引, required since base library 2.32.3): the app listens for
// wx.onNeedPrivacyAuthorization once; the <privacy> component on a page that collects personal
// information (name, phone) shows the guideline and the agree button, and answers WeChat's pending
// request with what the resident chose. Where the runtime has no privacy API, nothing is asked.
let pendingResolve = null
let listening = false
const popups = []

function supported() {
  return typeof wx !== 'undefined' && typeof wx.getPrivacySetting === 'function'
}

// app.js: WeChat asks when a privacy API is first used: show the popup of the page in front.
// Idempotent: the popup calls it too (a page opened without app.js, as in the tests).
function listen() {
  if (listening || typeof wx === 'undefined' || typeof wx.onNeedPrivacyAuthorization !== 'function') return listening
  listening = true
  wx.onNeedPrivacyAuthorization((resolve) => {
    pendingResolve = resolve
    const popup = popups[popups.length - 1]
    if (popup) popup.open()
    else resolve({ event: 'disagree' })
  })
  return listening
}

function register(popup) { popups.push(popup) }
function unregister(popup) {
  const i = popups.indexOf(popup)
  if (i >= 0) popups.splice(i, 1)
}

// Does the resident still have to agree? {need, name} (name: the guideline's title)
function setting() {
  return new Promise((resolve) => {
    if (!supported()) { resolve({ need: false, name: '' }); return }
    wx.getPrivacySetting({
      success: (res) => resolve({ need: !!res.needAuthorization, name: res.privacyContractName || '《云溪法务小程序隐私保护指引》' }),
      fail: () => resolve({ need: false, name: '' }),
    })
  })
}

// Ask WeChat to ask now (before the form is filled), so the pending request reaches the popup.
function require_() {
  if (typeof wx === 'undefined' || typeof wx.requirePrivacyAuthorize !== 'function') return Promise.resolve(true)
  return new Promise((resolve) => {
    wx.requirePrivacyAuthorize({ success: () => resolve(true), fail: () => resolve(false) })
  })
}

function answer(event, buttonId) {
  const resolve = pendingResolve
  pendingResolve = null
  if (resolve) resolve(event === 'agree' ? { buttonId, event } : { event })
}

function exposed() {
  if (pendingResolve) pendingResolve({ event: 'exposureAuthorization' })
}

module.exports = { listen, register, unregister, setting, require: require_, answer, exposed }
