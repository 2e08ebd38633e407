// 首页: my community (from the last board scanned or chosen) with its advisor one tap away, the
// services, the 12348 hotline, and the large-text switch.
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), { community: null, services: page.servicesFor(null), hotline: '12348', openCases: 0 }),
  methods: {
    onLoad() { return this.refresh() },
    async refresh() {
      this.setData({ loading: true, error: '' })
      try {
        const me = await api.call('me')
        this.setData({ community: me.community, hotline: me.hotline, openCases: me.open_cases })
        try {
          this.setData({ services: page.servicesFor(await api.call('features')) })
        } catch (e) { /* the basic services stay */ }
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      } finally {
        this.setData({ loading: false })
      }
    },
    open(e) { page.go(this.data.services[e.currentTarget.dataset.index]) },
    choose() { wx.navigateTo({ url: '/pages/choose/index' }) },
    settings() { wx.navigateTo({ url: '/pages/settings/index' }) },
    callAdvisor(e) { ui.call(e.currentTarget.dataset.phone) },
    toggleLarge() {
      const big = !this.data.big
      ui.setLargeText(big)
      this.setData({ big })
    },
  },
})
