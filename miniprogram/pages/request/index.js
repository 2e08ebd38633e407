// 在线申请: legal-aid application, mediation request, notarisation enquiry. Each has its document
// checklist (from the backend, citing the law); submitting opens a case at the front desk, and the
// resident is then asked whether they want the result as a subscribe message.
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

const KINDS = ['legal_aid', 'mediation', 'notarization']
const PHONE_RE = /^1[3-9]\d{9}$/

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), {
    privacyRefused: false,
    kind: '', form: null, docs: [], summary: '', name: '', phone: '', otherParty: '', submitting: false, done: null, requestId: '',
  }),
  methods: {
    async onLoad(query) {
      const kind = query && KINDS.indexOf(query.kind) >= 0 ? query.kind : 'legal_aid'
      this.setData({ kind, requestId: api.requestId() })
      try {
        const forms = await api.call('requestForms')
        const form = forms[kind]
        this.setData({
          form,
          docs: form.documents.map((d) => ({ key: d.key, label: d.label, required: form.required.indexOf(d.key) >= 0, checked: false })),
        })
        if (wx.setNavigationBarTitle) wx.setNavigationBarTitle({ title: form.title })
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      } finally {
        this.setData({ loading: false })
      }
    },
    onSummary(e) { this.setData({ summary: e.detail.value }) },
    onName(e) { this.setData({ name: e.detail.value }) },
    onPhone(e) { this.setData({ phone: e.detail.value }) },
    onOther(e) { this.setData({ otherParty: e.detail.value }) },
    toggleDoc(e) {
      const i = e.currentTarget.dataset.index
      this.setData({ [`docs[${i}].checked`]: !this.data.docs[i].checked })
    },
    onPrivacyAgree() { this.setData({ privacyRefused: false, error: '' }) },
    onPrivacyDisagree() { this.setData({ privacyRefused: true, error: '您未同意隐私保护指引，无法在线填写。可以拨打 12348 公共法律服务热线，或到服务点办理。' }) },
    check() {
      if (this.data.privacyRefused) return '您未同意隐私保护指引，无法在线填写。可以拨打 12348 公共法律服务热线，或到服务点办理。'
      if ((this.data.summary || '').trim().length < 5) return '请简要说明您的事情经过（至少 5 个字）。'
      if (!(this.data.name || '').trim()) return '请填写您的姓名。'
      if (!PHONE_RE.test(String(this.data.phone || '').replace(/[\s-]/g, ''))) return '请填写正确的 11 位手机号码，方便工作人员联系您。'
      return ''
    },
    async submit() {
      if (this.data.submitting) return
      const problem = this.check()
      if (problem) {
        this.setData({ error: problem })
        return
      }
      this.setData({ submitting: true, error: '' })
      try {
        const done = await api.call('submitRequest', {
          kind: this.data.kind, summary: this.data.summary.trim(), name: this.data.name.trim(),
          phone: String(this.data.phone).replace(/[\s-]/g, ''), other_party: this.data.otherParty || '',
          documents: this.data.docs.filter((d) => d.checked).map((d) => d.key),
          request_id: this.data.requestId, // a second tap or a retry gives the same case
        })
        this.setData({ done })
        await ui.askSubscribe('case_accepted', ['case_result', 'survey_invitation'])
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      } finally {
        this.setData({ submitting: false })
      }
    },
    mine() { wx.switchTab({ url: '/pages/cases/index' }) },
  },
})
