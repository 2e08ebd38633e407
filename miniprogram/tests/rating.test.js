// 服务评价: the five levels of 好差评 as large buttons, the survey's questions, submitting, correcting,
// and the errors (another resident's invitation, a locked rating, offline) in Chinese.
const { fakeWx, ok, login, loadPage, flush, text } = require('./helpers')

const LEVELS = [
  { value: 1, label: '非常满意', plain: '很好' }, { value: 2, label: '满意', plain: '好' },
  { value: 3, label: '基本满意', plain: '还行' }, { value: 4, label: '不满意', plain: '不好' },
  { value: 5, label: '非常不满意', plain: '很不好' },
]
const ITEM = { id: 7, type: 'appointment', type_zh: '预约服务', case_number: '', created_at: '2026-12-08 09:05',
  expires_at: '2026-12-15 09:05', rated: false, level: null, level_zh: '', can_change: true }
const DETAIL = Object.assign({}, ITEM, {
  open: true, title: '公共法律服务满意度评价', intro: '请为我们本次的服务打分', levels: LEVELS, answers: {},
  questions: [
    { id: 'attitude', kind: 'level', text: '工作人员的服务态度', options: [], min: 0, max: 10 },
    { id: 'heard_from', kind: 'multi', text: '您是通过什么途径知道我们的？', options: ['公示牌二维码', '微信公众号'], min: 0, max: 10 },
    { id: 'first_choice', kind: 'single', text: '以后遇到法律问题，您会首先找我们吗？', options: ['会', '不一定', '不会'], min: 0, max: 10 },
    { id: 'suggest', kind: 'text', text: '意见建议', options: [], min: 0, max: 10 },
  ],
})
const fail = (status, code, message) => () => ({ statusCode: status, data: { error: { code, message } } })
const tap = async (page, sel, i = 0) => { page.querySelectorAll(sel)[i].dispatchEvent('tap'); await flush() }

test('the list, then the five levels and the questions; the rating and answers are sent', async () => {
  const wx = fakeWx(Object.assign(login(), {
    'GET /api/mp/ratings': ok([ITEM]),
    'GET /api/mp/ratings/7': ok(DETAIL),
    'POST /api/mp/ratings/7': ({ data }) => ({ statusCode: 200, data: { result: 'new', message: '感谢您的评价！',
      rating: Object.assign({}, DETAIL, { rated: true, level: data.level, level_zh: '满意', answers: data.answers }) } }),
  }))
  const page = loadPage('surveys')
  await page.instance.onLoad({})
  await flush()
  expect(text(page)).toContain('预约服务')
  expect(text(page)).toContain('去评价')
  await tap(page, '.rating-item')
  expect(page.querySelectorAll('.level').map((l) => l.dom.textContent.replace(/\s+/g, ''))).toEqual(
    ['○非常满意（很好）', '○满意（好）', '○基本满意（还行）', '○不满意（不好）', '○非常不满意（很不好）'])
  await tap(page, '#submit')
  expect(text(page)).toContain('请先选择一个评价等级')
  expect(wx.calls.requests.some((r) => r.method === 'POST' && r.path.startsWith('/api/mp/ratings'))).toBe(false)
  await tap(page, '.level', 1)
  // attitude: 非常满意 (first chip); heard_from: both; first_choice: 会 then 不一定 (single: replaced)
  await tap(page, '.chip', 0)
  await tap(page, '.chip', 5)
  await tap(page, '.chip', 6)
  await tap(page, '.chip', 7)
  await tap(page, '.chip', 8)
  page.querySelector('.weui-textarea').dispatchEvent('input', { detail: { value: '服务很耐心' } })
  await flush()
  await tap(page, '#submit')
  await flush()
  const sent = wx.calls.requests.find((r) => r.method === 'POST' && r.path === '/api/mp/ratings/7')
  expect(sent.data).toEqual({ level: 2, answers: { attitude: 1, heard_from: ['公示牌二维码', '微信公众号'], first_choice: '不一定', suggest: '服务很耐心' } })
  expect(text(page)).toContain('感谢您的评价')
  expect(text(page)).toContain('更正评价')
  expect(page.querySelectorAll('.level.on').length).toBe(1)
})

test('opened by id (from a subscribe message); a locked rating shows why', async () => {
  const rated = Object.assign({}, DETAIL, { rated: true, level: 1, level_zh: '非常满意', can_change: false })
  const wx = fakeWx(Object.assign(login(), { 'GET /api/mp/ratings/7': ok(rated) }))
  const page = loadPage('surveys')
  await page.instance.onLoad({ id: '7' })
  await flush()
  expect(wx.calls.requests.some((r) => r.path === '/api/mp/ratings')).toBe(false)
  expect(text(page)).toContain('超过更正时限')
  expect(page.querySelector('#submit')).toBeFalsy()
  await tap(page, '.level', 4)
  expect(page.querySelectorAll('.level.on').length).toBe(1)
  expect(page.querySelector('.level.on').dom.textContent).toContain('非常满意')
})

test('another resident’s invitation, nothing to rate, and offline: Chinese messages', async () => {
  fakeWx(Object.assign(login(), { 'GET /api/mp/ratings/9': fail(404, 'mp_rating_not_found', '没有找到这条评价邀请。') }))
  let page = loadPage('surveys')
  await page.instance.onLoad({ id: '9' })
  await flush()
  expect(text(page)).toContain('没有找到这条评价邀请')
  fakeWx(Object.assign(login(), { 'GET /api/mp/ratings': ok([]) }))
  page = loadPage('surveys')
  await page.instance.onLoad({})
  await flush()
  expect(text(page)).toContain('目前没有需要评价的服务')
  fakeWx({}, { offline: true })
  page = loadPage('surveys')
  await page.instance.onLoad({})
  await flush()
  expect(text(page)).toContain('网络不可用')
})

test('large-text mode applies to the rating page', async () => {
  fakeWx(Object.assign(login(), { 'GET /api/mp/ratings': ok([ITEM]) }), { storage: { fawu_large_text: true } })
  const page = loadPage('surveys')
  await page.instance.onLoad({})
  await flush()
  expect(page.querySelector('.page').dom.className).toContain('big')
})

test('a finished case links to its rating; an open one does not ask', async () => {
  const detail = { number: 'YX20261101-0001', type: 'consultation', type_zh: '法律咨询', category: '劳动', summary: '欠薪',
    status: 'closed', status_zh: '已办结', open: false, handler: '', deadline: '', opened_at: '2026-11-01 09:00',
    result: '已协调支付', result_at: '2026-11-03 10:00', rating: '', messages: [] }
  const wx = fakeWx(Object.assign(login(), {
    'GET /api/mp/cases/YX20261101-0001': ok(detail),
    'GET /api/mp/ratings': ok([Object.assign({}, ITEM, { id: 12, type: 'case', type_zh: '事项', case_number: 'YX20261101-0001' })]),
  }))
  const page = loadPage('case')
  await page.instance.onLoad({ number: 'YX20261101-0001' })
  await flush()
  await tap(page, '#rate')
  expect(wx.calls.navigate).toEqual(['/pages/surveys/index?id=12'])
  fakeWx(Object.assign(login(), { 'GET /api/mp/cases/YX20261101-0002': ok(Object.assign({}, detail, { number: 'YX20261101-0002', open: true, result: '' })) }))
  const open = loadPage('case')
  await open.instance.onLoad({ number: 'YX20261101-0002' })
  await flush()
  expect(open.querySelector('#rate')).toBeFalsy()
  expect(global.wx.calls.requests.some((r) => r.path === '/api/mp/ratings')).toBe(false)
})
