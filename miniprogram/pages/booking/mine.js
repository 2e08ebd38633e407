// 我的预约: upcoming bookings first (each with its check-in code in large print), then past ones;
// cancel (asks first) and reschedule (opens the booking page on the same point and service) until
// the cut-off, after which the point's phone is the way.
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), { items: [], offline: false, busy: false, code: '' }),
  pageLifetimes: {
    show() { if (!this.data.loading) this.load() },
  },
  methods: {
    // the network is back: load again what failed for want of it (nothing else changes)
    onOnline() { if (this.data.offline) return this.load() },
    // ?code=K7M2QX (a reminder's subscribe message opens one booking): that booking alone
    onLoad(query) {
      this.setData({ code: (query && query.code) || '' })
      return this.load()
    },
    async load() {
      this.setData({ loading: true, error: '', offline: false })
      try {
        const code = this.data.code
        this.setData({ items: code ? [await api.call('booking', {}, { code })] : await api.call('myBookings') })
      } catch (err) {
        this.setData({ error: ui.errorText(err), offline: err && err.code === 'offline' })
      } finally {
        this.setData({ loading: false })
      }
    },
    item(e) { return this.data.items[e.currentTarget.dataset.index] },
    cancel(e) {
      const b = this.item(e)
      if (!b || this.data.busy) return
      wx.showModal({
        title: '取消预约',
        content: `确定取消 ${b.local_time} 的${b.service}吗？`,
        confirmText: '确定取消',
        cancelText: '不取消',
        success: (res) => { if (res && res.confirm) this.doCancel(b) },
      })
    },
    async doCancel(b) {
      this.setData({ busy: true, error: '' })
      try {
        await api.call('cancelBooking', {}, { code: b.code })
        if (wx.showToast) wx.showToast({ title: '已取消' })
        await this.load()
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      } finally {
        this.setData({ busy: false })
      }
    },
    move(e) {
      const b = this.item(e)
      if (!b) return
      wx.navigateTo({ url: `/pages/booking/index?move=${b.code}&point=${b.point_code}&service=${b.service_code}` })
    },
    call(e) { const b = this.item(e); ui.call(b && b.point_phone) },
    book() { wx.navigateTo({ url: '/pages/booking/index' }) },
    all() { this.setData({ code: '' }); return this.load() },
  },
})
