// What every page shares: the large-text mode for elderly users, friendly errors, click-to-call,
// and asking for subscribe messages at the right moment (the answer is recorded on the backend).
const api = require('./api')
const config = require('../config')

const LARGE_KEY = 'fawu_large_text'

function largeText() {
  try { return !!wx.getStorageSync(LARGE_KEY) } catch (e) { return false }
}

function setLargeText(on) {
  wx.setStorageSync(LARGE_KEY, !!on)
}

function errorText(err) {
  return (err && err.message) || api.BUSY
}

function showError(err) {
  wx.showModal({ title: '提示', content: errorText(err), showCancel: false, confirmText: '知道了' })
}

function call(phone) {
  const number = String(phone || config.HOTLINE).replace(/[^\d-]/g, '')
  wx.makePhoneCall({ phoneNumber: number, fail: () => {} })
}

// Ask for the templates of `moments` (e.g. ['case_result']) right after the resident's tap that
// made them relevant (a case accepted, a booking confirmed); record what they allowed.
async function askSubscribe(scene, moments) {
  let templates
  try {
    templates = await api.call('subscriptions')
  } catch (e) {
    return null
  }
  const ids = moments.map((m) => templates[m] && templates[m].template_id).filter(Boolean)
  if (!ids.length || !wx.requestSubscribeMessage) return null
  const results = await new Promise((resolve) => {
    wx.requestSubscribeMessage({
      tmplIds: ids,
      success: (res) => {
        const out = {}
        ids.forEach((id) => { if (res[id]) out[id] = res[id] })
        resolve(out)
      },
      fail: () => resolve(null),
    })
  })
  if (!results) return null
  await api.demoSubscribed(results)
  try {
    return await api.call('recordSubscriptions', { scene, results })
  } catch (e) {
    return null
  }
}

module.exports = { largeText, setLargeText, errorText, showError, call, askSubscribe, LARGE_KEY }
