// 事项详情: one of the resident's own cases (the backend answers only for the session's resident).
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), { c: null, rating: null }),
  methods: {
    async onLoad(query) {
      const number = (query && query.number) || ''
      if (!number) {
        this.setData({ error: '没有找到这件事项。', loading: false })
        return
      }
      try {
        const c = await api.call('caseDetail', null, { number })
        this.setData({ c })
        if (c.result) await this.findRating(c.number)
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      } finally {
        this.setData({ loading: false })
      }
    },
    // a finished case may be rated (好差评): its invitation, if it has one (best effort, quietly)
    async findRating(number) {
      try {
        const items = await api.call('ratings')
        this.setData({ rating: items.find((i) => i.case_number === number) || null })
      } catch (err) { /* the case still shows */ }
    },
    rate() {
      if (this.data.rating) wx.navigateTo({ url: '/pages/surveys/index?id=' + this.data.rating.id })
    },
  },
})
