// A fake WeChat runtime for the pages: wx.request answered by a fake backend (method + path →
// handler), wx.login codes, storage, calls, navigation, modals and subscribe prompts recorded.
const path = require('path')
const simulate = require('miniprogram-simulate')

const ROOT = path.join(__dirname, '..')

function fakeWx(routes, opts = {}) {
  const calls = { requests: [], phone: [], navigate: [], switchTab: [], modal: [], subscribe: [], toast: [] }
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
      if (opts.offline) { setTimeout(() => fail({ errMsg: 'request:fail' }), 0); return }
      const key = `${method} ${u.pathname}`
      const handler = routes[key] || Object.keys(routes).filter((k) => k.includes('*'))
        .map((k) => (new RegExp('^' + k.replace(/[.?]/g, '\\$&').replace('*', '[^/]+') + '$').test(key) ? routes[k] : null))
        .find(Boolean)
      const res = handler ? handler({ data, header, path: u.pathname, query: u.search })
        : { statusCode: 404, data: { error: { code: 'not_found', message: '没有找到您要的内容。' } } }
      setTimeout(() => success(Object.assign({ statusCode: 200 }, res)), 0)
    },
    makePhoneCall: ({ phoneNumber }) => calls.phone.push(phoneNumber),
    navigateTo: ({ url }) => calls.navigate.push(url),
    redirectTo: ({ url }) => calls.navigate.push(url),
    switchTab: ({ url }) => calls.switchTab.push(url),
    showModal: (o) => calls.modal.push(o.content),
    showToast: (o) => calls.toast.push(o.title),
    requestSubscribeMessage: ({ tmplIds, success }) => {
      calls.subscribe.push(tmplIds)
      const res = {}
      tmplIds.forEach((id) => { res[id] = opts.subscribeAnswer || 'accept' })
      success(res)
    },
    pageScrollTo: () => {},
  }
  wx.calls = calls
  wx.storage = storage
  global.wx = wx
  return wx
}

const ok = (data) => () => ({ statusCode: 200, data })

function login(token = 'tok-1') {
  return { 'POST /api/mp/login': ok({ token, expires_in: 604800, resident_id: 1, new_resident: true }) }
}

function loadPage(name) {
  jest.resetModules() // simulate runs the page's js with require: a fresh module each load
  const id = simulate.load(path.join(ROOT, 'pages', name, 'index'), { rootPath: ROOT, compiler: 'simulate' })
  const comp = simulate.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

const flush = () => simulate.sleep(5)
// the hotline card of a page (inside its own component)
const hotline = (comp) => comp.querySelector('#hotline-card').querySelector('#hotline')
const text = (comp) => comp.dom.textContent.replace(/\s+/g, ' ')

module.exports = { fakeWx, ok, login, loadPage, flush, text, hotline, simulate, ROOT }
