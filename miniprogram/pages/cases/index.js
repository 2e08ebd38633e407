// 我的事项: the resident's cases (open ones first, then those finished in the last 90 days) with
// state, who handles them, the deadline and the result; a tap opens one.
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), { cases: [] }),
  methods: {
    onLoad() { return this.refresh() },
    onPullDownRefresh() { return this.refresh().then(() => wx.stopPullDownRefresh && wx.stopPullDownRefresh()) },
    async refresh() {
      this.setData({ loading: true, error: '' })
      try {
        this.setData({ cases: await api.call('cases') })
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      } finally {
        this.setData({ loading: false })
      }
    },
    open(e) { wx.navigateTo({ url: '/pages/case/index?number=' + encodeURIComponent(e.currentTarget.dataset.number) }) },
  },
})
