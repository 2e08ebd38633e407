const { fakeWx, ok, login, loadPage, flush, text, hotline } = require('./helpers')

const CARD = {
  community_code: 'JXSQ', community_name: '锦绣社区', township_code: 'YXJD', township_name: '云溪街道',
  district_name: '云溪区', board_code: 'JXSQ01', place: '锦绣社区1号楼', hotline: '12348', station: null,
  advisors: [{ name: '孙律师', phone: '13900000001', firm: '', duty_hours: '' }], nearest: null,
}
const fail = (status, code, message) => () => ({ statusCode: status, data: { error: { code, message } } })

describe('community page (opened by a board code)', () => {
  test('the scene goes to the backend decoded, and the card shows', async () => {
    const wx = fakeWx(Object.assign(login(), { 'POST /api/mp/board': ok(CARD) }))
    const page = loadPage('community')
    await page.instance.onLoad({ scene: encodeURIComponent('b=JXSQ01') })
    await flush()
    expect(wx.calls.requests.find((r) => r.path === '/api/mp/board').data).toEqual({ scene: 'b=JXSQ01' })
    expect(text(page)).toContain('锦绣社区公共法律服务')
    expect(text(page)).toContain('公示牌位置：锦绣社区1号楼')
    page.querySelector('.advisor').dispatchEvent('tap')
    await flush()
    expect(wx.calls.phone).toEqual(['13900000001'])
    page.querySelector('#consult').dispatchEvent('tap')
    await flush()
    expect(wx.calls.switchTab).toEqual(['/pages/consult/index'])
  })

  test('a retired board: the Chinese message and the hotline', async () => {
    const wx = fakeWx(Object.assign(login(), {
      'POST /api/mp/board': fail(404, 'board_unknown', '这块公示牌已停用，请拨打 12348。'),
    }))
    const page = loadPage('community')
    await page.instance.onLoad({ scene: 'b%3DOLD01' })
    await flush()
    expect(text(page)).toContain('这块公示牌已停用')
    hotline(page).dispatchEvent('tap')
    await flush()
    expect(wx.calls.phone).toEqual(['12348'])
  })
})

describe('consultation', () => {
  test('a question is answered with the law; a hand-over opens a case and asks for a subscribe message', async () => {
    const wx = fakeWx(Object.assign(login(), {
      'POST /api/mp/consult/ask': ({ data }) => ({
        statusCode: 200,
        data: { reply: '依照《中华人民共和国劳动合同法》第三十条……', category: 'labor', category_name: '劳动', handoff: false,
          urgent: false, statutes: [], case_number: null, clarify: null, clarify_codes: null, echo: data.text },
      }),
      'POST /api/mp/consult/handover': ok({ reply: '已为您转人工服务，编号 YX20261205-0001。', case_number: 'YX20261205-0001' }),
      'GET /api/mp/subscriptions': ok({ case_result: { template_id: 'TPL-RESULT', status: '', remaining: 0 } }),
      'POST /api/mp/subscriptions': ok({ recorded: { case_result: { status: 'accept', remaining: 1 } } }),
    }))
    const page = loadPage('consult')
    page.querySelector('#input').dispatchEvent('input', { detail: { value: '老板拖欠工资怎么办' } })
    await flush()
    page.querySelector('#send').dispatchEvent('tap')
    await flush()
    await flush()
    expect(text(page)).toContain('老板拖欠工资怎么办')
    expect(text(page)).toContain('劳动合同法')
    const ask = wx.calls.requests.find((r) => r.path === '/api/mp/consult/ask')
    expect(ask.data.text).toBe('老板拖欠工资怎么办')
    expect(ask.header.Authorization).toBe('Bearer tok-1')
    page.querySelector('#handover').dispatchEvent('tap')
    await flush()
    await flush()
    expect(text(page)).toContain('YX20261205-0001')
    const ho = wx.calls.requests.find((r) => r.path === '/api/mp/consult/handover')
    expect(ho.data).toMatchObject({ text: '老板拖欠工资怎么办', category: 'labor' })
    expect(wx.calls.subscribe).toEqual([['TPL-RESULT']])
    const rec = wx.calls.requests.find((r) => r.path === '/api/mp/subscriptions' && r.method === 'POST')
    expect(rec.data).toEqual({ scene: 'case_accepted', results: { 'TPL-RESULT': 'accept' } })
  })

  test('a clarifying question offers choices; a choice asks again with its category', async () => {
    const asked = []
    fakeWx(Object.assign(login(), {
      'POST /api/mp/consult/ask': ({ data }) => {
        asked.push(data)
        return asked.length === 1
          ? { data: { reply: '您问的是哪方面？', category: 'other', category_name: '', handoff: false, urgent: false,
            clarify: ['劳动工资', '婚姻家庭', '两个条目'], clarify_codes: ['labor', 'marriage_family', 'entry:x'] } }
          : { data: { reply: '关于劳动工资……', category: 'labor', category_name: '', handoff: false, urgent: false } }
      },
    }))
    const page = loadPage('consult')
    page.querySelector('#input').dispatchEvent('input', { detail: { value: '他不给钱' } })
    await flush()
    page.querySelector('#send').dispatchEvent('tap')
    await flush()
    await flush()
    expect(text(page)).toContain('婚姻家庭')
    expect(page.querySelectorAll('.choice').length).toBe(2)
    page.querySelectorAll('.choice')[0].dispatchEvent('tap')
    await flush()
    await flush()
    expect(asked[1]).toMatchObject({ text: '他不给钱', category: 'labor', second_turn: true })
    expect(text(page)).toContain('关于劳动工资')
  })

  test('empty question and rate limit: Chinese messages', async () => {
    fakeWx(Object.assign(login(), {
      'POST /api/mp/consult/ask': fail(429, 'rate_limited', '操作太频繁了，请 30 秒后再试。如有急事，请拨打 12348 公共法律服务热线。'),
    }))
    const page = loadPage('consult')
    page.querySelector('#send').dispatchEvent('tap')
    await flush()
    expect(text(page)).toContain('请输入您要咨询的问题')
    page.querySelector('#input').dispatchEvent('input', { detail: { value: '离婚孩子归谁' } })
    await flush()
    page.querySelector('#send').dispatchEvent('tap')
    await flush()
    await flush()
    expect(text(page)).toContain('操作太频繁了')
  })

  test('a server that answers without our error shape: the generic busy text, never raw', async () => {
    fakeWx(Object.assign(login(), { 'POST /api/mp/consult/ask': () => ({ statusCode: 502, data: '<html>Bad gateway</html>' }) }))
    const page = loadPage('consult')
    page.querySelector('#input').dispatchEvent('input', { detail: { value: '问题' } })
    await flush()
    page.querySelector('#send').dispatchEvent('tap')
    await flush()
    await flush()
    expect(text(page)).toContain('系统繁忙')
    expect(text(page)).not.toContain('Bad gateway')
  })
})

describe('my cases', () => {
  const CASES = [
    { number: 'YX20261205-0002', type: 'legal_aid', type_zh: '法律援助', category: '劳动工资与工伤', status: 'accepted',
      status_zh: '已受理', open: true, handler: '等待工作人员接办', deadline: '2026-12-12 17:30', result: '', opened_at: '2026-12-05 10:00' },
    { number: 'YX20261101-0001', type: 'consultation', type_zh: '法律咨询', category: '婚姻家庭', status: 'closed',
      status_zh: '已办结', open: false, handler: '', deadline: '', result: '已为您解答，建议协议离婚。', opened_at: '2026-11-01 09:00' },
  ]

  test('the list shows state, deadline and result; a tap opens the detail', async () => {
    const wx = fakeWx(Object.assign(login(), { 'GET /api/mp/cases': ok(CASES) }))
    const page = loadPage('cases')
    await page.instance.onLoad()
    await flush()
    const t = text(page)
    expect(t).toContain('法律援助 · 劳动工资与工伤')
    expect(t).toContain('承诺办结时间 2026-12-12 17:30')
    expect(t).toContain('结果：已为您解答，建议协议离婚。')
    page.querySelectorAll('.case')[1].dispatchEvent('tap')
    await flush()
    expect(wx.calls.navigate).toEqual(['/pages/case/index?number=YX20261101-0001'])
  })

  test('no cases: the empty hint', async () => {
    fakeWx(Object.assign(login(), { 'GET /api/mp/cases': ok([]) }))
    const page = loadPage('cases')
    await page.instance.onLoad()
    await flush()
    expect(text(page)).toContain('您目前没有在办')
  })

  test('the detail shows the result and the conversation; another resident\'s number is not found', async () => {
    const detail = Object.assign({}, CASES[1], { summary: '[婚姻家庭] 离婚孩子归谁', result_at: '2026-11-02 10:00', rating: '',
      messages: [{ role: 'resident', text: '离婚孩子归谁', at: '' }, { role: 'staff', text: '您好，已为您解答', at: '' }] })
    const wx = fakeWx(Object.assign(login(), {
      'GET /api/mp/cases/YX20261101-0001': ok(detail),
      'GET /api/mp/cases/*': fail(404, 'mp_case_not_found', '没有找到这件事项。'),
    }))
    let page = loadPage('case')
    await page.instance.onLoad({ number: 'YX20261101-0001' })
    await flush()
    expect(text(page)).toContain('办理结果（2026-11-02 10:00）')
    expect(text(page)).toContain('您好，已为您解答')
    page = loadPage('case')
    await page.instance.onLoad({ number: 'YX20261205-0009' })
    await flush()
    expect(text(page)).toContain('没有找到这件事项。')
    expect(wx.calls.requests.map((r) => r.path)).toContain('/api/mp/cases/YX20261205-0009')
  })
})

describe('requests that become cases', () => {
  const FORMS = {
    legal_aid: { title: '法律援助申请', law: '《中华人民共和国法律援助法》第四十一条', required: ['id', 'matter'],
      documents: [{ key: 'id', label: '申请人身份证明' }, { key: 'matter', label: '有关证明材料' }] },
    mediation: { title: '人民调解申请', law: '《中华人民共和国人民调解法》第十七条', required: ['id'], documents: [{ key: 'id', label: '申请人身份证明' }] },
    notarization: { title: '公证预约咨询', law: '《中华人民共和国公证法》第二十五条', required: ['id'], documents: [{ key: 'id', label: '申请人身份证明' }] },
  }

  function fill(page, values) {
    Object.keys(values).forEach((id) => page.querySelector('#' + id).dispatchEvent('input', { detail: { value: values[id] } }))
  }

  test('the checklist, checks before sending, one case per submission, then the subscribe prompt', async () => {
    const posted = []
    const wx = fakeWx(Object.assign(login(), {
      'GET /api/mp/requests/forms': ok(FORMS),
      'POST /api/mp/requests': ({ data }) => {
        posted.push(data)
        return { data: { case_number: 'YX20261205-0003', status_zh: '已受理', missing: ['有关证明材料'],
          message: '已收到您的法律援助申请，编号 YX20261205-0003。工作人员将在承诺时限内与您联系，请准备好：有关证明材料。' } }
      },
      'GET /api/mp/subscriptions': ok({ case_result: { template_id: 'TPL-RESULT', status: '', remaining: 0 } }),
      'POST /api/mp/subscriptions': ok({ recorded: {} }),
    }))
    const page = loadPage('request')
    await page.instance.onLoad({ kind: 'legal_aid' })
    await flush()
    expect(text(page)).toContain('法律援助法')
    expect(page.querySelectorAll('.doc').length).toBe(2)
    page.querySelector('#submit').dispatchEvent('tap')
    await flush()
    expect(text(page)).toContain('请简要说明您的事情经过')
    fill(page, { summary: '工地欠薪三个月，请求法律援助', name: '李四', phone: '12345' })
    await flush()
    page.querySelector('#submit').dispatchEvent('tap')
    await flush()
    expect(text(page)).toContain('正确的 11 位手机号码')
    expect(posted).toEqual([])
    fill(page, { phone: '138 0000 1234' })
    page.querySelectorAll('.doc')[0].dispatchEvent('tap')
    await flush()
    page.querySelector('#submit').dispatchEvent('tap')
    await flush()
    await flush()
    expect(posted.length).toBe(1)
    expect(posted[0]).toMatchObject({ kind: 'legal_aid', name: '李四', phone: '13800001234', documents: ['id'] })
    expect(posted[0].request_id).toMatch(/^[A-Za-z0-9_-]{4,40}$/)
    expect(text(page)).toContain('编号 YX20261205-0003')
    expect(wx.calls.subscribe).toEqual([['TPL-RESULT']])
    page.querySelector('#mine').dispatchEvent('tap')
    await flush()
    expect(wx.calls.switchTab).toEqual(['/pages/cases/index'])
  })

  test('the backend refusing: its Chinese message on the form', async () => {
    fakeWx(Object.assign(login(), {
      'GET /api/mp/requests/forms': ok(FORMS),
      'POST /api/mp/requests': fail(400, 'invalid_input', '手机号码格式不对，请填写11位手机号。'),
    }))
    const page = loadPage('request')
    await page.instance.onLoad({ kind: 'mediation' })
    await flush()
    fill(page, { summary: '邻居漏水协商不成', name: '王五', phone: '13900001111', other: '隔壁张某' })
    await flush()
    page.querySelector('#submit').dispatchEvent('tap')
    await flush()
    await flush()
    expect(text(page)).toContain('手机号码格式不对')
  })
})

describe('law lookup and choosing a community', () => {
  test('articles by words', async () => {
    const wx = fakeWx({ 'GET /api/laws/search': ok({ query: '拖欠工资', message: '', articles: [
      { law: 'ldhtf', law_name: '中华人民共和国劳动合同法', article: '第三十条', text: '用人单位应当按照劳动合同约定……', chapter: '', date: null }] }) })
    const page = loadPage('laws')
    page.querySelector('#q').dispatchEvent('input', { detail: { value: '拖欠工资' } })
    await flush()
    page.querySelector('#search').dispatchEvent('tap')
    await flush()
    await flush()
    expect(text(page)).toContain('《中华人民共和国劳动合同法》第三十条')
    expect(wx.calls.requests[0].query).toBe('?q=' + encodeURIComponent('拖欠工资'))
  })

  test('a community chosen by hand', async () => {
    const wx = fakeWx(Object.assign(login(), {
      'GET /api/mp/communities': ok([{ code: 'TYZ', name: '桃源镇', communities: [{ code: 'TYC', name: '桃源村' }] }]),
      'POST /api/mp/community': ok(CARD),
    }))
    const page = loadPage('choose')
    await page.instance.onLoad()
    await flush()
    expect(text(page)).toContain('桃源村')
    page.querySelector('.community').dispatchEvent('tap')
    await flush()
    await flush()
    expect(wx.calls.requests.find((r) => r.path === '/api/mp/community').data).toEqual({ community_code: 'TYC' })
    expect(wx.calls.switchTab).toEqual(['/pages/home/index'])
  })
})

describe('community page without a scene, and settings', () => {
  test('opened from the menu: my community from /api/mp/me; none yet: a prompt to choose', async () => {
    let wx = fakeWx(Object.assign(login(), { 'GET /api/mp/me': ok({ resident_id: 1, name: '', community: CARD, hotline: '12348', open_cases: 0 }) }))
    let page = loadPage('community')
    await page.instance.onLoad({})
    await flush()
    expect(text(page)).toContain('锦绣社区公共法律服务')
    expect(wx.calls.requests.some((r) => r.path === '/api/mp/board')).toBe(false)
    wx = fakeWx(Object.assign(login(), { 'GET /api/mp/me': ok({ resident_id: 1, name: '', community: null, hotline: '12348', open_cases: 0 }) }))
    page = loadPage('community')
    await page.instance.onLoad({})
    await flush()
    expect(text(page)).toContain('请选择')
    page.querySelector('#choose').dispatchEvent('tap')
    await flush()
    expect(wx.calls.navigate).toEqual(['/pages/choose/index'])
  })

  test('the API base is checked, stored, and used by the next request', async () => {
    const wx = fakeWx(Object.assign(login(), { 'GET /api/mp/me': ok({ resident_id: 1, name: '', community: null, hotline: '12348', open_cases: 0 }) }))
    const page = loadPage('settings')
    page.instance.onLoad()
    page.querySelector('#base').dispatchEvent('input', { detail: { value: 'ftp://x' } })
    await flush()
    page.querySelector('#save').dispatchEvent('tap')
    await flush()
    expect(text(page)).toContain('地址应以 http:// 或 https:// 开头')
    page.querySelector('#base').dispatchEvent('input', { detail: { value: 'https://fw.example.cn/' } })
    await flush()
    page.querySelector('#save').dispatchEvent('tap')
    await flush()
    expect(wx.storage.fawu_api_base).toBe('https://fw.example.cn/')
    const home = loadPage('home')
    await home.instance.onLoad()
    await flush()
    const sent = []
    wx.calls.requests.forEach((r) => sent.push(r.path))
    expect(sent).toContain('/api/mp/me')
  })
})

describe('普法文章 (served by the push domain)', () => {
  test('the list, and a tap opens the article in a web-view', async () => {
    const wx = fakeWx(Object.assign(login(), {
      'GET /api/mp/articles': ok([{ title: '被拖欠工资怎么办', summary: '三步维权', url: 'http://127.0.0.1:8000/articles/wage' }]),
    }))
    const page = loadPage('articles')
    await page.instance.onLoad()
    await flush()
    expect(text(page)).toContain('被拖欠工资怎么办')
    page.querySelector('.article').dispatchEvent('tap')
    await flush()
    expect(wx.calls.navigate).toEqual(['/pages/webview/index?url=' + encodeURIComponent('http://127.0.0.1:8000/articles/wage')])
  })
})

test('large text set once shows on every page', async () => {
  fakeWx(Object.assign(login(), { 'GET /api/mp/cases': ok([]) }), { storage: { fawu_large_text: true } })
  for (const name of ['consult', 'cases', 'request', 'laws', 'community', 'choose', 'case', 'articles', 'settings']) {
    const page = loadPage(name)
    await flush()
    expect([name, page.querySelector('.page').dom.className]).toEqual([name, expect.stringContaining('big')])
  }
})
