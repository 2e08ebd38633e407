const { fakeWx, ok, login, loadPage, flush, text, hotline } = require('./helpers')

const COMMUNITY = {
  community_code: 'JXSQ', community_name: '锦绣社区', township_code: 'YXJD', township_name: '云溪街道',
  district_name: '云溪区', board_code: 'JXSQ01', place: '', hotline: '12348', station: null,
  advisors: [{ name: '孙律师', phone: '13900000001', firm: '云溪律师事务所', duty_hours: '周三上午' }],
  nearest: { name: '锦绣社区法律服务室', address: '锦绣路58号', phone: '', hours: '周一至周五' },
}

function backend(extra = {}) {
  return Object.assign(login(), {
    'GET /api/mp/me': ok({ resident_id: 1, name: '', community: COMMUNITY, hotline: '12348', open_cases: 2 }),
    'GET /api/mp/features': ok({ consult: true, cases: true, requests: true, laws: true, booking: false }),
  }, extra)
}

test('home shows my community, its advisor one tap away, and the services', async () => {
  const wx = fakeWx(backend())
  const page = loadPage('home')
  await page.instance.onLoad()
  await flush()
  const t = text(page)
  expect(t).toContain('锦绣社区')
  expect(t).toContain('孙律师')
  expect(t).toContain('12348')
  expect(t).toContain('您有 2 件事项正在办理')
  expect(t).not.toContain('预约服务') // booking not served yet
  page.querySelector('.advisor').dispatchEvent('tap')
  await flush()
  expect(wx.calls.phone).toEqual(['13900000001'])
  hotline(page).dispatchEvent('tap')
  await flush()
  expect(wx.calls.phone[1]).toBe('12348')
  // the session token is sent on every call
  const me = wx.calls.requests.find((r) => r.path === '/api/mp/me')
  expect(me.header.Authorization).toBe('Bearer tok-1')
})

test('services plug in when the backend serves them (booking, catalogue)', async () => {
  const wx = fakeWx(backend({ 'GET /api/mp/features': ok({ booking: true, surveys: true, catalog: true }) }))
  const page = loadPage('home')
  await page.instance.onLoad()
  await flush()
  expect(text(page)).toContain('预约服务')
  expect(text(page)).toContain('服务评价')
  const services = page.querySelectorAll('.service')
  const catalog = services.findIndex((s) => s.dom.textContent.includes('服务目录'))
  services[catalog].dispatchEvent('tap')
  await flush()
  expect(wx.calls.navigate).toEqual(['/pages/webview/index?url=' + encodeURIComponent('http://127.0.0.1:8000/catalog')])
})

test('no community yet: asks to scan a board or choose', async () => {
  const wx = fakeWx(backend({ 'GET /api/mp/me': ok({ resident_id: 1, name: '', community: null, hotline: '12348', open_cases: 0 }) }))
  const page = loadPage('home')
  await page.instance.onLoad()
  await flush()
  expect(text(page)).toContain('还不知道您所在的村（社区）')
  page.querySelector('#choose').dispatchEvent('tap')
  await flush()
  expect(wx.calls.navigate).toEqual(['/pages/choose/index'])
})

test('large-text mode is switched and remembered', async () => {
  const wx = fakeWx(backend())
  const page = loadPage('home')
  await page.instance.onLoad()
  await flush()
  expect(page.querySelector('.page').dom.className).not.toContain('big')
  page.querySelector('#large').dispatchEvent('tap')
  await flush()
  expect(page.querySelector('.page').dom.className).toContain('big')
  expect(wx.storage.fawu_large_text).toBe(true)
})

test('offline: a friendly Chinese message, no crash', async () => {
  fakeWx({}, { offline: true })
  const page = loadPage('home')
  await page.instance.onLoad()
  await flush()
  expect(text(page)).toContain('网络不可用')
  expect(text(page)).toContain('12348')
})

test('an expired session logs in again once by itself', async () => {
  let n = 0
  const wx = fakeWx(Object.assign(backend(), {
    'GET /api/mp/me': ({ header }) => (header.Authorization === 'Bearer old'
      ? { statusCode: 401, data: { error: { code: 'mp_session_expired', message: '登录已过期，请重新进入小程序。' } } }
      : { statusCode: 200, data: { resident_id: 1, name: '', community: COMMUNITY, hotline: '12348', open_cases: ++n } }),
  }), { storage: { fawu_token: 'old' } })
  const page = loadPage('home')
  await page.instance.onLoad()
  await flush()
  expect(text(page)).toContain('锦绣社区')
  expect(wx.storage.fawu_token).toBe('tok-1')
})
