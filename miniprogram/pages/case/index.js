// 事项详情: one of the resident's own cases (the backend answers only for the session's resident).
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), { c: null }),
  methods: {
    async onLoad(query) {
      const number = (query && query.number) || ''
      if (!number) {
        this.setData({ error: '没有找到这件事项。', loading: false })
        return
      }
      try {
        this.setData({ c: await api.call('caseDetail', null, { number }) })
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      } finally {
        this.setData({ loading: false })
      }
    },
  },
})
