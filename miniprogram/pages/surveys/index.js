// 服务评价 (好差评): the resident's finished services that may be rated; one opened shows the five
// levels in plain words (非常满意 … 非常不满意) as large buttons, then the survey's questions (each
// optional), and submits. A rating may be corrected within the window; a bad one is followed up.
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), {
    items: [], current: null, level: 0, answers: {}, questions: [], submitting: false, done: '', offline: false,
  }),
  methods: {
    // the network is back: load again what failed for want of it (nothing else changes)
    onOnline() { if (this.data.offline) return (this.data.current ? this.open(this.data.current.id) : this.load()) },
    async onLoad(query) {
      const id = query && Number(query.id)
      if (id) await this.open(id)
      else await this.load()
    },
    failed(err) { this.setData({ error: ui.errorText(err), offline: !!(err && err.code === 'offline') }) },
    async load() {
      this.setData({ loading: true, error: '', offline: false, current: null, done: '' })
      try {
        this.setData({ items: await api.call('ratings') })
      } catch (err) {
        this.failed(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    pick(e) { return this.open(this.data.items[e.currentTarget.dataset.index].id) },
    async open(id) {
      this.setData({ loading: true, error: '', offline: false, done: '' })
      try {
        const current = await api.call('rating', {}, { invitation_id: id })
        this.setCurrent(current)
      } catch (err) {
        this.failed(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    setCurrent(current) {
      const answers = Object.assign({}, current.answers || {})
      const questions = current.questions.map((q) => Object.assign({}, q, {
        picks: (q.kind === 'level' ? current.levels.map((l) => ({ value: l.value, label: l.label }))
          : q.kind === 'scale' ? Array.from({ length: q.max - q.min + 1 }, (_, i) => ({ value: q.min + i, label: String(q.min + i) }))
            : q.options.map((o) => ({ value: o, label: o })))
          .map((p) => Object.assign(p, { on: [].concat(answers[q.id] === undefined ? [] : answers[q.id]).indexOf(p.value) >= 0 })),
      }))
      this.setData({ current, level: current.level || 0, answers, questions })
    },
    chooseLevel(e) {
      if (!this.data.current.can_change) return
      this.setData({ level: Number(e.currentTarget.dataset.value), error: '' })
    },
    answer(e) {
      const { q, i } = e.currentTarget.dataset
      const question = this.data.questions[q]
      const pick = question.picks[i]
      const answers = Object.assign({}, this.data.answers)
      if (question.kind === 'multi') {
        const list = [].concat(answers[question.id] || [])
        const at = list.indexOf(pick.value)
        if (at >= 0) list.splice(at, 1)
        else list.push(pick.value)
        answers[question.id] = list
      } else {
        answers[question.id] = answers[question.id] === pick.value ? undefined : pick.value
      }
      const picks = question.picks.map((p) => Object.assign({}, p, {
        on: [].concat(answers[question.id] === undefined ? [] : answers[question.id]).indexOf(p.value) >= 0,
      }))
      this.setData({ answers, [`questions[${q}].picks`]: picks })
    },
    onText(e) {
      const q = this.data.questions[e.currentTarget.dataset.q]
      this.setData({ [`answers.${q.id}`]: e.detail.value })
    },
    async submit() {
      if (this.data.submitting) return
      if (!this.data.level) { this.setData({ error: '请先选择一个评价等级（非常满意 到 非常不满意）。' }); return }
      const answers = {}
      Object.keys(this.data.answers).forEach((k) => {
        const v = this.data.answers[k]
        if (v !== undefined && v !== '' && !(Array.isArray(v) && !v.length)) answers[k] = v
      })
      this.setData({ submitting: true, error: '' })
      try {
        const res = await api.call('rate', { level: this.data.level, answers }, { invitation_id: this.data.current.id })
        this.setCurrent(res.rating)
        this.setData({ done: res.message })
      } catch (err) {
        this.failed(err)
      } finally {
        this.setData({ submitting: false })
      }
    },
    backToList() { return this.load() },
  },
})
