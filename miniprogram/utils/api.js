// The only module that talks to fawu's backend. ENDPOINTS lists every request the mini-program
// makes (method, path, body fields); tests/mp_api/test_contract.py checks each against the
// backend's OpenAPI schema. Login is wx.login → POST /api/mp/login → a session token of fawu,
// kept in storage; an expired session logs in again once, by itself.
const config = require('../config')

const ENDPOINTS = {
  login: { method: 'POST', path: '/api/mp/login', fields: ['code'], auth: false },
  logout: { method: 'POST', path: '/api/mp/logout', fields: [] },
  features: { method: 'GET', path: '/api/mp/features', fields: [] },
  me: { method: 'GET', path: '/api/mp/me', fields: [] },
  communities: { method: 'GET', path: '/api/mp/communities', fields: [] },
  chooseCommunity: { method: 'POST', path: '/api/mp/community', fields: ['community_code'] },
  openBoard: { method: 'POST', path: '/api/mp/board', fields: ['scene'] },
  ask: { method: 'POST', path: '/api/mp/consult/ask', fields: ['text', 'category', 'second_turn', 'request_id'] },
  handOver: { method: 'POST', path: '/api/mp/consult/handover', fields: ['text', 'category', 'request_id'] },
  cases: { method: 'GET', path: '/api/mp/cases', fields: [] },
  caseDetail: { method: 'GET', path: '/api/mp/cases/{number}', fields: [] },
  requestForms: { method: 'GET', path: '/api/mp/requests/forms', fields: [] },
  submitRequest: {
    method: 'POST', path: '/api/mp/requests',
    fields: ['kind', 'summary', 'name', 'phone', 'category', 'documents', 'other_party', 'request_id'],
  },
  subscriptions: { method: 'GET', path: '/api/mp/subscriptions', fields: [] },
  recordSubscriptions: { method: 'POST', path: '/api/mp/subscriptions', fields: ['scene', 'results'] },
  articles: { method: 'GET', path: '/api/mp/articles', fields: [] },
  bookingServices: { method: 'GET', path: '/api/mp/booking/services', fields: [] },
  bookingPoints: { method: 'GET', path: '/api/mp/booking/points', fields: [] },
  bookingSlots: { method: 'GET', path: '/api/mp/booking/slots', fields: [], query: ['point', 'service'] },
  book: {
    method: 'POST', path: '/api/mp/bookings',
    fields: ['point', 'service', 'slot', 'name', 'phone', 'description', 'checklist', 'request_id', 'board'],
  },
  myBookings: { method: 'GET', path: '/api/mp/bookings', fields: [] },
  booking: { method: 'GET', path: '/api/mp/bookings/{code}', fields: [] },
  cancelBooking: { method: 'POST', path: '/api/mp/bookings/{code}/cancel', fields: [] },
  moveBooking: { method: 'POST', path: '/api/mp/bookings/{code}/move', fields: ['slot'] },
  ratings: { method: 'GET', path: '/api/mp/ratings', fields: [] },
  rating: { method: 'GET', path: '/api/mp/ratings/{invitation_id}', fields: [] },
  rate: { method: 'POST', path: '/api/mp/ratings/{invitation_id}', fields: ['level', 'answers'] },
  lawSearch: { method: 'GET', path: '/api/laws/search', fields: [], query: ['q'], auth: false },
}

const TOKEN_KEY = 'fawu_token'
const OFFLINE = '网络不可用，请检查网络后重试。如有急事请拨打 12348 公共法律服务热线。'
const BUSY = '系统繁忙，请稍后再试。如有急事请拨打 12348 公共法律服务热线。'
const RELOGIN = ['mp_session_expired', 'mp_session_missing']

class ApiError extends Error {
  constructor(message, code, status) {
    super(message)
    this.code = code || 'error'
    this.status = status || 0
  }
}

let loginPromise = null

function token() {
  try { return wx.getStorageSync(TOKEN_KEY) || '' } catch (e) { return '' }
}

function rawRequest(method, url, data, headers) {
  return new Promise((resolve, reject) => {
    wx.request({
      url, method, data, header: Object.assign({ 'content-type': 'application/json' }, headers || {}),
      timeout: 15000,
      success: (res) => resolve(res),
      fail: () => reject(new ApiError(OFFLINE, 'offline', 0)),
    })
  })
}

function errorOf(res) {
  const body = res && res.data
  const err = body && typeof body === 'object' && body.error
  if (err && err.message) {
    const e = new ApiError(err.message, err.code, res.statusCode)
    e.details = err // e.g. a full slot's `next` free slots
    return e
  }
  return new ApiError(BUSY, 'http_' + (res ? res.statusCode : 0), res ? res.statusCode : 0)
}

// The demo (`make run`, settings page "演示登录"): the loopback WeChat mints the code, because the
// developer tools' wx.login code comes from real WeChat and the emulator would refuse it (40029).
function demoLoginCode() {
  let device = ''
  try { device = wx.getStorageSync('fawu_demo_device') } catch (e) { /* none yet */ }
  if (!device) {
    device = 'd' + Math.random().toString(36).slice(2, 12)
    wx.setStorageSync('fawu_demo_device', device)
  }
  return rawRequest('POST', config.apiBase() + '/demo/mp/login-code', { device }).then((res) => {
    if (res.statusCode !== 200 || !res.data || !res.data.code) throw errorOf(res)
    return res.data.code
  })
}

// Demo login: as set on the settings page; unset, on while the API base is the loopback default.
function demoLogin() {
  let flag = ''
  try { flag = wx.getStorageSync('fawu_demo_login') } catch (e) { /* unset */ }
  return flag === '' || flag === undefined ? config.apiBase() === config.DEFAULT_API_BASE : !!flag
}

// The demo: what wx.requestSubscribeMessage would have told WeChat, told to the loopback WeChat.
function demoSubscribed(results) {
  if (!demoLogin()) return Promise.resolve(null)
  let device = ''
  try { device = wx.getStorageSync('fawu_demo_device') } catch (e) { /* none */ }
  if (!device) return Promise.resolve(null)
  return rawRequest('POST', config.apiBase() + '/demo/mp/subscribe', { device, results }).catch(() => null)
}

function wxLoginCode() {
  if (demoLogin()) return demoLoginCode()
  return new Promise((resolve, reject) => {
    wx.login({
      success: (r) => (r && r.code ? resolve(r.code) : reject(new ApiError('微信登录失败，请重新打开小程序。', 'wx_login'))),
      fail: () => reject(new ApiError(OFFLINE, 'offline')),
    })
  })
}

// One login at a time: pages opening together share it.
function login() {
  if (loginPromise) return loginPromise
  loginPromise = (async () => {
    const code = await wxLoginCode()
    const res = await rawRequest('POST', config.apiBase() + ENDPOINTS.login.path, { code })
    if (res.statusCode !== 200) throw errorOf(res)
    wx.setStorageSync(TOKEN_KEY, res.data.token)
    return res.data
  })()
  loginPromise.then(() => { loginPromise = null }, () => { loginPromise = null })
  return loginPromise
}

function pathOf(ep, params) {
  return ep.path.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(String((params || {})[k] || '')))
}

function pick(fields, data) {
  const out = {}
  fields.forEach((f) => { if (data && data[f] !== undefined && data[f] !== null) out[f] = data[f] })
  return out
}

// call('ask', {text: '...'}) → the JSON body, or an ApiError whose message is Chinese for the resident.
async function call(name, data, params) {
  const ep = ENDPOINTS[name]
  if (!ep) throw new Error('unknown endpoint ' + name)
  let url = config.apiBase() + pathOf(ep, params)
  if (ep.query) {
    const q = ep.query.filter((k) => data && data[k] !== undefined)
      .map((k) => encodeURIComponent(k) + '=' + encodeURIComponent(data[k])).join('&')
    if (q) url += '?' + q
  }
  const body = ep.method === 'GET' ? undefined : pick(ep.fields, data)
  for (let attempt = 0; attempt < 2; attempt++) {
    if (ep.auth !== false && !token()) await login()
    const headers = ep.auth === false ? {} : { Authorization: 'Bearer ' + token() }
    const res = await rawRequest(ep.method, url, body, headers)
    if (res.statusCode >= 200 && res.statusCode < 300) return res.data
    const err = errorOf(res)
    if (ep.auth !== false && res.statusCode === 401 && RELOGIN.indexOf(err.code) >= 0 && attempt === 0) {
      wx.removeStorageSync(TOKEN_KEY)
      continue
    }
    throw err
  }
  throw new ApiError(BUSY, 'retry')
}

function requestId() {
  return 'r' + Date.now().toString(36) + Math.random().toString(36).slice(2, 10)
}

module.exports = { ENDPOINTS, ApiError, call, login, requestId, demoLogin, demoSubscribed, TOKEN_KEY, OFFLINE, BUSY }
