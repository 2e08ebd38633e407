// A fake WeChat runtime for the pages: wx.request answered by a fake backend (method + path →
// handler), wx.login codes, storage, calls, navigation, modals and subscribe prompts recorded.
const path = require('path')
const simulate = require('miniprogram-simulate')

const ROOT = path.join(__dirname, '..')

function fakeWx(routes, opts = {}) {
  const calls = { requests: [], phone: [], navigate: [], switchTab: [], modal: [], subscribe: [], toast: [],
    privacy: { listeners: [], answers: [], agreed: false, contract: 0 }, net: [] }
  const storage = Object.assign({ fawu_demo_login: false }, opts.storage || {})
  let codes = 0
  const wx = {
    getStorageSync: (k) => (k in storage ? storage[k] : ''),
    setStorageSync: (k, v) => { storage[k] = v },
    removeStorageSync: (k) => { delete storage[k] },
    login: ({ success, fail }) => (opts.offline ? fail({ errMsg: 'login:fail' }) : success({ code: 'code' + (++codes) })),
    request: ({ url, method, data, header, success, fail }) => {
      const u = new URL(url)
      calls.requests.push({ method, path: u.pathname, query: u.search, data, header })
      wx.pending++
      const done = (fn, arg) => setTimeout(() => { wx.pending--; fn(arg) }, 0)
      if (opts.offline) { done(fail, { errMsg: 'request:fail' }); return }
      const key = `${method} ${u.pathname}`
      const handler = routes[key] || Object.keys(routes).filter((k) => k.includes('*'))
        .map((k) => (new RegExp('^' + k.replace(/[.?]/g, '\\$&').replace('*', '[^/]+') + '$').test(key) ? routes[k] : null))
        .find(Boolean)
      const res = handler ? handler({ data, header, path: u.pathname, query: u.search })
        : { statusCode: 404, data: { error: { code: 'not_found', message: '没有找到您要的内容。' } } }
      done(success, Object.assign({ statusCode: 200 }, res))
    },
    makePhoneCall: ({ phoneNumber }) => calls.phone.push(phoneNumber),
    navigateTo: ({ url }) => calls.navigate.push(url),
    redirectTo: ({ url }) => calls.navigate.push(url),
    switchTab: ({ url }) => calls.switchTab.push(url),
    showModal: (o) => {
      calls.modal.push(o.content)
      if (o.success) setTimeout(() => o.success({ confirm: opts.confirm !== false, cancel: opts.confirm === false }), 0)
    },
    showToast: (o) => calls.toast.push(o.title),
    requestSubscribeMessage: ({ tmplIds, success }) => {
      calls.subscribe.push(tmplIds)
      const res = {}
      tmplIds.forEach((id) => { res[id] = opts.subscribeAnswer || 'accept' })
      success(res)
    },
    pageScrollTo: () => {},
    // privacy (opts.privacy = {need: true}): the agreement WeChat asks for, answered through the listener
    getPrivacySetting: ({ success }) => success({ needAuthorization: !!(opts.privacy && opts.privacy.need && !calls.privacy.agreed),
      privacyContractName: '《云溪法务小程序隐私保护指引》' }),
    onNeedPrivacyAuthorization: (fn) => { calls.privacy.listeners.push(fn) },
    requirePrivacyAuthorize: ({ success, fail }) => {
      if (!(opts.privacy && opts.privacy.need) || calls.privacy.agreed) { success({}); return }
      const listener = calls.privacy.listeners[calls.privacy.listeners.length - 1]
      if (!listener) { fail({ errMsg: 'requirePrivacyAuthorize:fail' }); return }
      listener((answer) => {
        calls.privacy.answers.push(answer)
        if (answer.event === 'agree') { calls.privacy.agreed = true; success({}) }
        if (answer.event === 'disagree') fail({ errMsg: 'privacy permission is not authorized' })
      }, { referrer: 'wx.requirePrivacyAuthorize' })
    },
    openPrivacyContract: () => { calls.privacy.contract++ },
    // the network (opts.network = 'none' starts offline); wx.net(true/false) changes it
    getNetworkType: ({ success }) => success({ networkType: opts.network || 'wifi' }),
    onNetworkStatusChange: (fn) => { calls.net.push(fn) },
    offNetworkStatusChange: (fn) => { const i = calls.net.indexOf(fn); if (i >= 0) calls.net.splice(i, 1) },
    net: (connected) => calls.net.slice().forEach((fn) => fn({ isConnected: connected, networkType: connected ? 'wifi' : 'none' })),
  }
  wx.pending = 0 // requests answered later (flush waits for none)
  wx.calls = calls
  wx.storage = storage
  global.wx = wx
  return wx
}

const ok = (data) => () => ({ statusCode: 200, data })

function login(token = 'tok-1') {
  return { 'POST /api/mp/login': ok({ token, expires_in: 604800, resident_id: 1, new_resident: true }) }
}

function loadPage(name, file = 'index') {
  jest.resetModules() // simulate runs the page's js with require: a fresh module each load
  const id = simulate.load(path.join(ROOT, 'pages', name, file), { rootPath: ROOT, compiler: 'simulate' })
  const comp = simulate.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

// wait until no fake request is in flight for a few turns (a page may chain several requests)
async function flush() {
  let idle = 0
  for (let i = 0; i < 500 && idle < 3; i++) {
    await simulate.sleep(1)
    idle = global.wx && global.wx.pending > 0 ? 0 : idle + 1
  }
}
// the hotline card of a page (inside its own component)
const hotline = (comp) => comp.querySelector('#hotline-card').querySelector('#hotline')
const text = (comp) => comp.dom.textContent.replace(/\s+/g, ' ')

module.exports = { fakeWx, ok, login, loadPage, flush, text, hotline, simulate, ROOT }
