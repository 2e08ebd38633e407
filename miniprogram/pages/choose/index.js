// 选择村（社区）: for residents who did not scan a board; the choice becomes their community.
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), { towns: [] }),
  methods: {
    async onLoad() {
      try {
        this.setData({ towns: await api.call('communities') })
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      }
    },
    async pick(e) {
      try {
        await api.call('chooseCommunity', { community_code: e.currentTarget.dataset.code })
        wx.switchTab({ url: '/pages/home/index' })
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      }
    },
  },
})
