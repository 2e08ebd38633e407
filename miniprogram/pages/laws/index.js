// 法规查询: an article by name and number, or articles by words (the backend's statute corpus).
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), { q: '', articles: [], message: '' }),
  methods: {
    typing(e) { this.setData({ q: e.detail.value }) },
    async search() {
      const q = (this.data.q || '').trim()
      if (!q) {
        this.setData({ error: '请输入要查的法律名称、条文或关键词。' })
        return
      }
      this.setData({ error: '', message: '' })
      try {
        const res = await api.call('lawSearch', { q })
        this.setData({
          articles: (res.articles || []).map((a) => ({ law: a.law_name || a.law || '', number: a.article || '', text: a.text || '' })),
          message: res.message || '',
        })
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      }
    },
  },
})
