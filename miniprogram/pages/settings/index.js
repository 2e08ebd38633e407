// 设置: large text, logout (the session is revoked on the backend), and for testers the API base.
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const config = require('../../config')
const page = require('../../utils/page')

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), { base: '', defaultBase: config.DEFAULT_API_BASE, demo: false }),
  methods: {
    onLoad() { this.setData({ base: wx.getStorageSync('fawu_api_base') || '', demo: api.demoLogin() }) },
    toggleDemo() {
      const demo = !this.data.demo
      wx.setStorageSync('fawu_demo_login', demo)
      wx.removeStorageSync(api.TOKEN_KEY)
      this.setData({ demo })
    },
    typing(e) { this.setData({ base: e.detail.value }) },
    toggleLarge() {
      ui.setLargeText(!this.data.big)
      this.setData({ big: !this.data.big })
    },
    save() {
      const base = (this.data.base || '').trim()
      if (base && !/^https?:\/\/[^\s/]+/.test(base)) {
        this.setData({ error: '地址应以 http:// 或 https:// 开头。' })
        return
      }
      if (base) wx.setStorageSync('fawu_api_base', base)
      else wx.removeStorageSync('fawu_api_base')
      wx.removeStorageSync(api.TOKEN_KEY)
      this.setData({ error: '' })
      wx.showToast && wx.showToast({ title: '已保存' })
    },
    async logout() {
      try { await api.call('logout') } catch (e) { /* the token is dropped anyway */ }
      wx.removeStorageSync(api.TOKEN_KEY)
      wx.showToast && wx.showToast({ title: '已退出' })
    },
  },
})
