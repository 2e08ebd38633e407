// Privacy authorisation: a page that collects name and phone shows the guideline before the form is
// used; agreeing answers WeChat's pending request (buttonId agree-btn), declining blocks the submission
// with a Chinese message pointing to 12348; a resident who agreed before is not asked again.
const { fakeWx, ok, login, loadPage, flush, text } = require('./helpers')

const SERVICES = [{ code: 'notary', name: '公证咨询', duration: 30, providers: '公证员', documents: [], checklist: [], legal_basis: '' }]
const POINTS = [{ code: 'SP-TYZ', name: '桃源镇工作站', kind: 'township', kind_zh: '', address: '人民路1号', phone: '', map_url: '' }]
const SLOTS = [{ slot: '2026-12-08T09:00', label: '12月8日 周二 09:00', day: '12月8日', left: 3, provisional: false }]
const FORMS = { legal_aid: { title: '法律援助申请', law: '《中华人民共和国法律援助法》第四十一条', required: ['id'], documents: [{ key: 'id', label: '身份证明' }] } }
const tap = async (page, sel) => { page.querySelector(sel).dispatchEvent('tap'); await flush() }

function backend() {
  return Object.assign(login(), {
    'GET /api/mp/booking/services': ok(SERVICES), 'GET /api/mp/booking/points': ok(POINTS),
    'GET /api/mp/booking/slots': ok(SLOTS), 'GET /api/mp/requests/forms': ok(FORMS),
  })
}

async function bookingForm(page) {
  await page.instance.onLoad({})
  await flush()
  await tap(page, '.service')
  await tap(page, '.point')
  await tap(page, '.slot')
  await flush()
}

test('the booking form asks first; agreeing answers WeChat with the agree button', async () => {
  const wx = fakeWx(backend(), { privacy: { need: true } })
  const page = loadPage('booking')
  await bookingForm(page)
  expect(text(page)).toContain('隐私保护提示')
  expect(text(page)).toContain('《云溪法务小程序隐私保护指引》')
  expect(text(page)).toContain('仅用于本次预约')
  expect(wx.calls.privacy.answers).toEqual([{ event: 'exposureAuthorization' }])
  const box = page.querySelector('#privacy-popup')
  box.querySelector('#contract').dispatchEvent('tap')
  box.querySelector('#agree-btn').dispatchEvent('agreeprivacyauthorization')
  await flush()
  expect(wx.calls.privacy.contract).toBe(1)
  expect(wx.calls.privacy.answers[1]).toEqual({ buttonId: 'agree-btn', event: 'agree' })
  expect(text(page)).not.toContain('隐私保护提示')
})

test('declining: no request is sent, the Chinese message points to 12348', async () => {
  const wx = fakeWx(backend(), { privacy: { need: true } })
  const page = loadPage('request')
  await page.instance.onLoad({ kind: 'legal_aid' })
  await flush()
  await flush()
  expect(text(page)).toContain('隐私保护提示')
  page.querySelector('#privacy-popup').querySelector('#disagree').dispatchEvent('tap')
  await flush()
  expect(wx.calls.privacy.answers.pop()).toEqual({ event: 'disagree' })
  expect(text(page)).toContain('您未同意隐私保护指引')
  page.querySelector('#summary').dispatchEvent('input', { detail: { value: '公司拖欠三个月工资' } })
  page.querySelector('#name').dispatchEvent('input', { detail: { value: '张三' } })
  page.querySelector('#phone').dispatchEvent('input', { detail: { value: '13900001111' } })
  await flush()
  await tap(page, '#submit')
  expect(wx.calls.requests.some((r) => r.path === '/api/mp/requests')).toBe(false)
  expect(text(page)).toContain('12348')
})

test('agreed before (or a runtime without the privacy API): no popup', async () => {
  fakeWx(backend(), { privacy: { need: false } })
  const page = loadPage('booking')
  await bookingForm(page)
  expect(text(page)).not.toContain('隐私保护提示')
  expect(page.querySelector('#name')).toBeTruthy()
})
