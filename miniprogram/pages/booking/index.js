// 预约服务: choose a service, a service point (the resident's own first), a free time; fill in name
// and phone; confirm; the booking's code is the check-in code read out at the desk. After booking the
// resident is asked whether they want a subscribe message for the confirmation and the reminder.
// Opened from "我的预约" with ?move=CODE&point=..&service=.. it reschedules that booking instead.
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

const PHONE_RE = /^1[3-9]\d{9}$/

function byDay(slots) {
  const days = []
  slots.forEach((s) => {
    let d = days[days.length - 1]
    if (!d || d.day !== s.day) { d = { day: s.day, slots: [] }; days.push(d) }
    d.slots.push(s)
  })
  return days
}

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), {
    privacyRefused: false,
    step: 'service', services: [], points: [], days: [], service: null, point: null, slot: null,
    name: '', phone: '', description: '', checks: [], consent: false, submitting: false, done: null,
    moving: '', requestId: '', offline: false,
  }),
  methods: {
    // the network is back: load again what failed for want of it (nothing else changes)
    onOnline() { if (this.data.offline) return this.retry() },
    async onLoad(query) {
      query = query || {}
      this.setData({ requestId: api.requestId() })
      if (query.move && query.point && query.service) {
        this.setData({ moving: String(query.move), point: { code: query.point, name: '' }, service: { code: query.service, name: '' } })
        await this.loadSlots()
        return
      }
      await this.loadServices()
    },
    failed(err) {
      this.setData({ error: ui.errorText(err), offline: !!(err && err.code === 'offline') })
    },
    async loadServices() {
      this.setData({ loading: true, error: '', offline: false })
      try {
        const services = await api.call('bookingServices')
        this.setData({ services, step: 'service' })
        if (!services.length) this.setData({ error: '暂时没有可以预约的服务，请拨打 12348 咨询。' })
      } catch (err) {
        this.failed(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    async pickService(e) {
      const service = this.data.services[e.currentTarget.dataset.index]
      this.setData({ service, checks: (service.checklist || []).map((label) => ({ label, checked: false })), loading: true, error: '' })
      try {
        const points = await api.call('bookingPoints')
        this.setData({ points, step: 'point' })
      } catch (err) {
        this.failed(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    async pickPoint(e) {
      this.setData({ point: this.data.points[e.currentTarget.dataset.index] })
      await this.loadSlots()
    },
    async loadSlots() {
      this.setData({ loading: true, error: '', offline: false })
      try {
        const slots = await api.call('bookingSlots', { point: this.data.point.code, service: this.data.service.code })
        this.setData({ days: byDay(slots), step: 'slot' })
        if (!slots.length) this.setData({ error: '该服务点近期没有空闲时段，请换一个服务点或拨打服务点电话。' })
      } catch (err) {
        this.failed(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    retry() {
      if (this.data.step === 'slot' || this.data.moving) return this.loadSlots()
      return this.loadServices()
    },
    async pickSlot(e) {
      const { day, index } = e.currentTarget.dataset
      const slot = this.data.days[day].slots[index]
      this.setData({ slot, error: '' })
      if (this.data.moving) { await this.move(); return }
      this.setData({ step: 'form' })
    },
    back() {
      const prev = { point: 'service', slot: this.data.moving ? 'slot' : 'point', form: 'slot', confirm: 'form' }[this.data.step]
      if (prev) this.setData({ step: prev, error: '' })
    },
    onName(e) { this.setData({ name: e.detail.value }) },
    onPhone(e) { this.setData({ phone: e.detail.value }) },
    onDescription(e) { this.setData({ description: e.detail.value }) },
    toggleCheck(e) {
      const i = e.currentTarget.dataset.index
      this.setData({ [`checks[${i}].checked`]: !this.data.checks[i].checked })
    },
    toggleConsent() { this.setData({ consent: !this.data.consent }) },
    onPrivacyAgree() { this.setData({ privacyRefused: false, error: '' }) },
    onPrivacyDisagree() { this.setData({ privacyRefused: true, error: '您未同意隐私保护指引，无法在线填写。可以拨打 12348 公共法律服务热线，或到服务点办理。' }) },
    check() {
      if (this.data.privacyRefused) return '您未同意隐私保护指引，无法在线填写。可以拨打 12348 公共法律服务热线，或到服务点办理。'
      if (!(this.data.name || '').trim()) return '请填写您的姓名。'
      if (!PHONE_RE.test(String(this.data.phone || '').replace(/[\s-]/g, ''))) return '请填写正确的 11 位手机号码，用于预约提醒和联系。'
      if (!this.data.consent) return '请勾选同意：电话仅用于本次预约的联系和提醒。'
      return ''
    },
    toConfirm() {
      const problem = this.check()
      if (problem) { this.setData({ error: problem }); return }
      this.setData({ step: 'confirm', error: '' })
    },
    async submit() {
      if (this.data.submitting) return
      this.setData({ submitting: true, error: '' })
      try {
        const done = await api.call('book', {
          point: this.data.point.code, service: this.data.service.code, slot: this.data.slot.slot,
          name: this.data.name.trim(), phone: String(this.data.phone).replace(/[\s-]/g, ''),
          description: (this.data.description || '').trim(),
          checklist: this.data.checks.filter((c) => c.checked).map((c) => c.label),
          request_id: this.data.requestId, // a second tap or a retry gives the same booking
        })
        this.setData({ done, step: 'done' })
        await ui.askSubscribe('booking_confirmed', ['booking_reminder', 'survey_invitation'])
      } catch (err) {
        const next = err && err.details && err.details.next
        this.failed(err)
        if (next && next.length) await this.loadSlots() // full: show the free ones again
        this.setData({ error: ui.errorText(err) })
      } finally {
        this.setData({ submitting: false })
      }
    },
    async move() {
      this.setData({ submitting: true, error: '' })
      try {
        const done = await api.call('moveBooking', { slot: this.data.slot.slot }, { code: this.data.moving })
        this.setData({ done, step: 'done' })
      } catch (err) {
        this.failed(err)
      } finally {
        this.setData({ submitting: false })
      }
    },
    mine() { wx.redirectTo({ url: '/pages/booking/mine' }) },
    callPoint() { ui.call(this.data.done && this.data.done.point_phone) },
  },
})
