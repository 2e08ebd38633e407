// Where the mini-program finds fawu's API. The developer tools and `make run`'s demo use the
// loopback default; a release build sets `apiBase` in ext.json (extConfig) or a tester types
// another base on the settings page (stored as fawu_api_base). Must be HTTPS in production
// and listed as a request domain (request合法域名) in the mini-program's console.
const DEFAULT_API_BASE = 'http://127.0.0.1:8000'

function apiBase() {
  try {
    const stored = wx.getStorageSync('fawu_api_base')
    if (stored) return String(stored).replace(/\/+$/, '')
  } catch (e) { /* storage unavailable: the default */ }
  try {
    const ext = wx.getExtConfigSync ? wx.getExtConfigSync() : {}
    if (ext && ext.apiBase) return String(ext.apiBase).replace(/\/+$/, '')
  } catch (e) { /* no extConfig */ }
  return DEFAULT_API_BASE
}

module.exports = { DEFAULT_API_BASE, apiBase, HOTLINE: '12348' }
