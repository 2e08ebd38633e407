// 预约服务 and 我的预约: the whole booking path on the simulated runtime against a fake backend.
const { fakeWx, ok, login, loadPage, flush, text } = require('./helpers')

const SERVICES = [{ code: 'notary', name: '公证咨询', duration: 30, providers: '公证员', documents: ['身份证'], checklist: ['身份证原件'], legal_basis: '' }]
const POINTS = [{ code: 'SP-TYZ', name: '桃源镇公共法律服务工作站', kind: 'township', kind_zh: '工作站', address: '桃源镇人民路1号', phone: '0571-1234', map_url: '' }]
const SLOTS = [
  { slot: '2026-12-08T09:00', label: '12月8日 周二 09:00', day: '12月8日', left: 3, provisional: false },
  { slot: '2026-12-08T09:30', label: '12月8日 周二 09:30', day: '12月8日', left: 1, provisional: false },
  { slot: '2026-12-09T09:00', label: '12月9日 周三 09:00', day: '12月9日', left: 2, provisional: false },
]
const BOOKED = {
  code: 'K7M2QX', status: 'booked', status_zh: '已预约', service: '公证咨询', service_code: 'notary', point: '桃源镇公共法律服务工作站',
  point_code: 'SP-TYZ', address: '桃源镇人民路1号', point_phone: '0571-1234', map_url: '', starts_at: '2026-12-08T01:00:00+00:00',
  ends_at: '2026-12-08T01:30:00+00:00', local_time: '12月8日 周二 09:00', documents: ['身份证'], legal_basis: '', name: '王大爷',
  phone: '139****1111', can_change: true, upcoming: true, created: true,
}
const fail = (status, code, message, extra) => () => ({ statusCode: status, data: { error: Object.assign({ code, message }, extra || {}) } })
const tap = async (page, sel, i = 0) => { page.querySelectorAll(sel)[i].dispatchEvent('tap'); await flush() }
const type = async (page, sel, value) => { page.querySelector(sel).dispatchEvent('input', { detail: { value } }); await flush() }

function backend(extra) {
  return Object.assign(login(), {
    'GET /api/mp/booking/services': ok(SERVICES),
    'GET /api/mp/booking/points': ok(POINTS),
    'GET /api/mp/booking/slots': ok(SLOTS),
    'POST /api/mp/bookings': ok(BOOKED),
    'GET /api/mp/subscriptions': ok({ booking_confirmed: { template_id: 'TPL-BOOK', status: '', remaining: 0 },
      booking_reminder: { template_id: 'TPL-REMIND', status: '', remaining: 0 },
      survey_invitation: { template_id: 'TPL-RATE', status: '', remaining: 0 } }),
    'POST /api/mp/subscriptions': ok({ recorded: {} }),
  }, extra || {})
}

async function toForm(page) {
  await page.instance.onLoad({})
  await flush()
  await tap(page, '.service')
  await tap(page, '.point')
  await tap(page, '.slot')
}

describe('booking page', () => {
  test('service → point → free slot (by day) → form → confirm → the check-in code, and a subscribe prompt', async () => {
    const wx = fakeWx(backend())
    const page = loadPage('booking')
    await page.instance.onLoad({})
    await flush()
    expect(text(page)).toContain('公证咨询')
    await tap(page, '.service')
    expect(text(page)).toContain('桃源镇人民路1号')
    await tap(page, '.point')
    const q = wx.calls.requests.find((r) => r.path === '/api/mp/booking/slots').query
    expect(q).toContain('point=SP-TYZ')
    expect(q).toContain('service=notary')
    expect(text(page)).toContain('12月9日')
    expect(text(page)).toContain('余 1 个')
    await tap(page, '.slot')
    await type(page, '#name', ' 王大爷 ')
    await type(page, '#phone', '139 0000 1111')
    await tap(page, '.check')
    await tap(page, '#next')
    expect(text(page)).toContain('请勾选同意') // consent first
    await tap(page, '#consent')
    await tap(page, '#next')
    expect(text(page)).toContain('请核对预约信息')
    expect(text(page)).toContain('12月8日 周二 09:00')
    await tap(page, '#submit')
    await flush()
    const sent = wx.calls.requests.filter((r) => r.method === 'POST' && r.path === '/api/mp/bookings')
    expect(sent).toHaveLength(1)
    expect(sent[0].data).toMatchObject({ point: 'SP-TYZ', service: 'notary', slot: '2026-12-08T09:00', name: '王大爷',
      phone: '13900001111', checklist: ['身份证原件'] })
    expect(sent[0].data.request_id).toMatch(/^r/)
    expect(sent[0].header.Authorization).toBe('Bearer tok-1')
    expect(page.querySelector('#code').dom.textContent).toContain('K7M2QX')
    expect(text(page)).toContain('签到码')
    // what fawu sends: the reminders and, after the appointment, the rating invitation
    expect(wx.calls.subscribe).toEqual([['TPL-REMIND', 'TPL-RATE']])
    const recorded = wx.calls.requests.find((r) => r.method === 'POST' && r.path === '/api/mp/subscriptions')
    expect(recorded.data).toEqual({ scene: 'booking_confirmed', results: { 'TPL-REMIND': 'accept', 'TPL-RATE': 'accept' } })
    await tap(page, '#call-point')
    expect(wx.calls.phone).toEqual(['0571-1234'])
  })

  test('a wrong phone is caught on the page, in Chinese, before any request', async () => {
    const wx = fakeWx(backend())
    const page = loadPage('booking')
    await toForm(page)
    await type(page, '#name', '王大爷')
    await type(page, '#phone', '12345')
    await tap(page, '#consent')
    await tap(page, '#next')
    expect(text(page)).toContain('请填写正确的 11 位手机号码')
    expect(wx.calls.requests.filter((r) => r.path === '/api/mp/bookings')).toHaveLength(0)
  })

  test('a slot taken meanwhile: the backend’s Chinese message and the free slots again', async () => {
    const wx = fakeWx(backend({
      'POST /api/mp/bookings': fail(409, 'booking_full', '已约满：12月8日 周二 09:00 的名额已被约完。最近可约：12月8日 周二 09:30。',
        { next: [{ slot: '2026-12-08T09:30', label: '12月8日 周二 09:30', left: 1 }] }),
    }))
    const page = loadPage('booking')
    await toForm(page)
    await type(page, '#name', '王大爷')
    await type(page, '#phone', '13900001111')
    await tap(page, '#consent')
    await tap(page, '#next')
    await tap(page, '#submit')
    await flush()
    expect(text(page)).toContain('已约满')
    expect(page.querySelectorAll('.slot').length).toBe(3) // choose again
    expect(wx.calls.subscribe).toHaveLength(0)
  })

  test('offline: a friendly message and a retry button that loads again', async () => {
    fakeWx(backend(), { offline: true })
    const page = loadPage('booking')
    await page.instance.onLoad({})
    await flush()
    expect(text(page)).toContain('网络不可用')
    expect(text(page)).toContain('12348')
    const wx = fakeWx(backend())
    await tap(page, '#retry')
    expect(text(page)).toContain('公证咨询')
    expect(text(page)).not.toContain('网络不可用')
    expect(wx.calls.requests.some((r) => r.path === '/api/mp/booking/services')).toBe(true)
  })

  test('the network drops and comes back while filling the form: the answers stay', async () => {
    const wx = fakeWx(backend())
    const page = loadPage('booking')
    await toForm(page)
    await type(page, '#name', '王大爷')
    wx.net(false)
    await flush()
    expect(text(page)).toContain('手机没有连上网络')
    wx.net(true)
    await flush()
    expect(text(page)).not.toContain('手机没有连上网络')
    expect(page.instance.data.step).toBe('form')
    expect(page.instance.data.name).toBe('王大爷')
  })

  test('reschedule: opened with ?move=CODE, a new slot moves that booking', async () => {
    const wx = fakeWx(backend({
      'POST /api/mp/bookings/*/move': ok(Object.assign({}, BOOKED, { local_time: '12月9日 周三 09:00' })),
    }))
    const page = loadPage('booking')
    await page.instance.onLoad({ move: 'K7M2QX', point: 'SP-TYZ', service: 'notary' })
    await flush()
    expect(text(page)).toContain('改约 K7M2QX')
    await tap(page, '.slot', 2)
    await flush()
    const moved = wx.calls.requests.find((r) => r.path === '/api/mp/bookings/K7M2QX/move')
    expect(moved.data).toEqual({ slot: '2026-12-09T09:00' })
    expect(text(page)).toContain('改约成功')
    expect(text(page)).toContain('12月9日 周三 09:00')
  })
})

describe('my bookings', () => {
  const PAST = Object.assign({}, BOOKED, { code: 'P4ST00', status: 'checked_in', status_zh: '已签到', upcoming: false, can_change: false })

  test('upcoming with the large check-in code, past ones after; cancel asks first, then reloads', async () => {
    let cancelled = false
    const wx = fakeWx(backend({
      'GET /api/mp/bookings': () => ({ statusCode: 200, data: cancelled ? [Object.assign({}, BOOKED, { status_zh: '已取消', upcoming: false, can_change: false }), PAST] : [BOOKED, PAST] }),
      'POST /api/mp/bookings/*/cancel': () => { cancelled = true; return { statusCode: 200, data: BOOKED } },
    }))
    const page = loadPage('booking', 'mine')
    await page.instance.onLoad()
    await flush()
    expect(page.querySelectorAll('.checkin-code').length).toBe(1)
    expect(page.querySelector('.checkin-code').dom.textContent).toContain('K7M2QX')
    expect(text(page)).toContain('已签到')
    await tap(page, '.move')
    expect(wx.calls.navigate).toEqual(['/pages/booking/index?move=K7M2QX&point=SP-TYZ&service=notary'])
    await tap(page, '.cancel')
    await flush()
    expect(wx.calls.modal[0]).toContain('确定取消 12月8日 周二 09:00 的公证咨询')
    expect(wx.calls.requests.some((r) => r.path === '/api/mp/bookings/K7M2QX/cancel')).toBe(true)
    expect(text(page)).toContain('已取消')
    expect(page.querySelectorAll('.cancel').length).toBe(0)
  })

  test('cancel declined: nothing is sent; too late: the backend’s Chinese reason shows', async () => {
    const wx = fakeWx(backend({ 'GET /api/mp/bookings': ok([BOOKED]) }), { confirm: false })
    const page = loadPage('booking', 'mine')
    await page.instance.onLoad()
    await flush()
    await tap(page, '.cancel')
    await flush()
    expect(wx.calls.requests.some((r) => r.path.endsWith('/cancel'))).toBe(false)
    fakeWx(backend({
      'GET /api/mp/bookings': ok([BOOKED]),
      'POST /api/mp/bookings/*/cancel': fail(409, 'booking_too_late', '距离预约开始已不足 2小时，不能在线取消或改约，请致电服务点。'),
    }))
    await tap(page, '.cancel')
    await flush()
    expect(text(page)).toContain('不能在线取消或改约')
  })

  test('opened with ?code= (from a reminder): that booking alone, then all of them', async () => {
    const wx = fakeWx(backend({ 'GET /api/mp/bookings/K7M2QX': ok(BOOKED), 'GET /api/mp/bookings': ok([BOOKED, PAST]) }))
    const page = loadPage('booking', 'mine')
    await page.instance.onLoad({ code: 'K7M2QX' })
    await flush()
    expect(page.querySelectorAll('.booking').length).toBe(1)
    expect(wx.calls.requests.some((r) => r.path === '/api/mp/bookings')).toBe(false)
    await tap(page, '#all')
    expect(page.querySelectorAll('.booking').length).toBe(2)
  })

  test('no network: a banner; the network back: it goes and the list loads by itself', async () => {
    let wx = fakeWx(backend(), { offline: true, network: 'none' })
    const page = loadPage('booking', 'mine')
    await page.instance.onLoad()
    await flush()
    expect(text(page)).toContain('手机没有连上网络')
    const listeners = wx.calls.net
    wx = fakeWx(backend({ 'GET /api/mp/bookings': ok([BOOKED]) }))
    wx.calls.net = listeners
    wx.net(true)
    await flush()
    expect(text(page)).not.toContain('手机没有连上网络')
    expect(text(page)).not.toContain('网络不可用')
    expect(page.querySelector('.checkin-code').dom.textContent).toContain('K7M2QX')
  })

  test('none yet; offline', async () => {
    fakeWx(backend({ 'GET /api/mp/bookings': ok([]) }))
    let page = loadPage('booking', 'mine')
    await page.instance.onLoad()
    await flush()
    expect(text(page)).toContain('您还没有预约')
    fakeWx(backend(), { offline: true })
    page = loadPage('booking', 'mine')
    await page.instance.onLoad()
    await flush()
    expect(text(page)).toContain('网络不可用')
    expect(page.querySelector('#retry')).toBeTruthy()
  })
})
