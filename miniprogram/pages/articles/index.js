// 普法文章: the published articles for the resident's township (and the district's); a tap opens
// the article's H5 page in a web-view (its domain must be a business domain of the mini-program).
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), { items: [] }),
  methods: {
    async onLoad() {
      try {
        this.setData({ items: await api.call('articles') })
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      } finally {
        this.setData({ loading: false })
      }
    },
    open(e) {
      const item = this.data.items[e.currentTarget.dataset.index]
      if (item) wx.navigateTo({ url: '/pages/webview/index?url=' + encodeURIComponent(item.url) })
    },
  },
})
