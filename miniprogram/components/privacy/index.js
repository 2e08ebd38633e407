// The privacy popup: the guideline's title (opens wx.openPrivacyContract), what the page collects and
// why, "同意并继续" (open-type agreePrivacyAuthorization) and "不同意". A page passes `purpose`;
// it hears `agree` / `disagree`.
const privacy = require('../../utils/privacy')

Component({
  options: { addGlobalClass: true },
  properties: {
    purpose: { type: String, value: '您填写的姓名和手机号码仅用于办理本次事项和联系您。' },
  },
  data: { show: false, name: '《云溪法务小程序隐私保护指引》' },
  lifetimes: {
    async attached() {
      privacy.register(this)
      const s = await privacy.setting()
      if (!s.need) return
      this.setData({ name: s.name || this.data.name })
      if (privacy.listen()) privacy.require() // WeChat's pending request comes to open()
      else this.setData({ show: true })
    },
    detached() { privacy.unregister(this) },
  },
  methods: {
    open() {
      this.setData({ show: true })
      privacy.exposed()
    },
    contract() {
      if (typeof wx.openPrivacyContract === 'function') wx.openPrivacyContract({ fail: () => {} })
    },
    agree() {
      privacy.answer('agree', 'agree-btn')
      this.setData({ show: false })
      this.triggerEvent('agree')
    },
    disagree() {
      privacy.answer('disagree')
      this.setData({ show: false })
      this.triggerEvent('disagree')
    },
  },
})
