const { fakeWx, ok, loadPage, flush, text } = require('./helpers')

const ME = { resident_id: 7, name: '', community: null, hotline: '12348', open_cases: 0 }

test('wx.login code goes to /api/mp/login once, the token is kept and sent', async () => {
  const wx = fakeWx({
    'POST /api/mp/login': ({ data }) => ({ data: { token: 'T-' + data.code, expires_in: 3600, resident_id: 7, new_resident: true } }),
    'GET /api/mp/me': ok(ME),
    'GET /api/mp/features': ok({}),
  })
  const page = loadPage('home')
  await page.instance.onLoad()
  await flush()
  const logins = wx.calls.requests.filter((r) => r.path === '/api/mp/login')
  expect(logins.length).toBe(1)
  expect(logins[0].data).toEqual({ code: 'code1' })
  expect(wx.storage.fawu_token).toBe('T-code1')
  expect(wx.calls.requests.find((r) => r.path === '/api/mp/me').header.Authorization).toBe('Bearer T-code1')
})

test('a refused login shows the backend\'s Chinese message', async () => {
  fakeWx({ 'POST /api/mp/login': () => ({ statusCode: 401, data: { error: { code: 'mp_code_used', message: '登录凭证已经用过了，请重新打开小程序。' } } }) })
  const page = loadPage('home')
  await page.instance.onLoad()
  await flush()
  expect(text(page)).toContain('登录凭证已经用过了')
})

test('the demo (make run): the code comes from the loopback WeChat via /demo/mp/login-code', async () => {
  const wx = fakeWx({
    'POST /demo/mp/login-code': ok({ code: 'emu-code' }),
    'POST /api/mp/login': ({ data }) => ({ data: { token: 'T-' + data.code, expires_in: 3600, resident_id: 7, new_resident: true } }),
    'GET /api/mp/me': ok(ME),
    'GET /api/mp/features': ok({}),
  }, { storage: { fawu_demo_login: '' } }) // unset: on while the API base is the loopback default
  const page = loadPage('home')
  await page.instance.onLoad()
  await flush()
  const demo = wx.calls.requests.find((r) => r.path === '/demo/mp/login-code')
  expect(demo.data.device).toMatch(/^d[a-z0-9]+$/)
  expect(wx.storage.fawu_token).toBe('T-emu-code')
})

test('settings: logout revokes the session and drops the token', async () => {
  const wx = fakeWx({ 'POST /api/mp/logout': ok({ ok: true }) }, { storage: { fawu_token: 'T1' } })
  const page = loadPage('settings')
  page.instance.onLoad()
  page.querySelector('#logout').dispatchEvent('tap')
  await flush()
  await flush()
  const out = wx.calls.requests.find((r) => r.path === '/api/mp/logout')
  expect(out.header.Authorization).toBe('Bearer T1')
  expect(wx.storage.fawu_token).toBeUndefined()
})

test('the demo: what the resident allowed is also told to the loopback WeChat', async () => {
  const wx = fakeWx({
    'POST /demo/mp/login-code': ok({ code: 'emu-code' }),
    'POST /api/mp/login': ok({ token: 'T', expires_in: 3600, resident_id: 7, new_resident: true }),
    'GET /api/mp/subscriptions': ok({ case_result: { template_id: 'TPL-R', status: '', remaining: 0 } }),
    'POST /demo/mp/subscribe': ok({ accepted: ['TPL-R'] }),
    'POST /api/mp/subscriptions': ok({ recorded: {} }),
  }, { storage: { fawu_demo_login: true } })
  const ui = require('../utils/ui')
  await ui.askSubscribe('case_accepted', ['case_result'])
  const paths = wx.calls.requests.map((r) => r.path)
  expect(paths).toEqual(['/demo/mp/login-code', '/api/mp/login', '/api/mp/subscriptions', '/demo/mp/subscribe', '/api/mp/subscriptions'])
  expect(wx.calls.requests[3].data).toEqual({ device: wx.storage.fawu_demo_device, results: { 'TPL-R': 'accept' } })
})
