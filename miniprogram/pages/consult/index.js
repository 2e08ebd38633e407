// 法律咨询: the same engine as the official accounts (safety gate first, intents, knowledge base
// citing the law), behind the resident's session; a clarifying question offers choices; "转人工"
// or the engine's hand-over opens a case at the front desk, and then the resident is asked
// whether they want the result as a subscribe message.
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

let seq = 0

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), { messages: [], draft: '', sending: false, choices: [], lastQuestion: '', lastCategory: '' }),
  methods: {
    typing(e) { this.setData({ draft: e.detail.value }) },
    push(role, text) {
      this.setData({ messages: this.data.messages.concat([{ id: ++seq, role, text }]) })
    },
    async ask(text, extra) {
      if (this.data.sending) return null
      this.setData({ sending: true, error: '', choices: [] })
      try {
        const answer = await api.call('ask', Object.assign({ text, request_id: api.requestId() }, extra || {}))
        this.push('bot', answer.reply)
        const codes = answer.clarify_codes || []
        const labels = answer.clarify || []
        this.setData({
          lastQuestion: text,
          lastCategory: answer.category,
          choices: codes.map((code, i) => ({ code, label: labels[i] || code }))
            .filter((c) => c.code.indexOf('entry:') !== 0),
        })
        if (answer.case_number) await ui.askSubscribe('case_accepted', ['case_result', 'survey_invitation'])
        return answer
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
        return null
      } finally {
        this.setData({ sending: false })
      }
    },
    async send() {
      const text = (this.data.draft || '').trim()
      if (!text) {
        this.setData({ error: '请输入您要咨询的问题。' })
        return
      }
      this.push('me', text)
      this.setData({ draft: '' })
      await this.ask(text)
    },
    async choose(e) {
      const choice = this.data.choices[e.currentTarget.dataset.index]
      if (!choice) return
      this.push('me', choice.label)
      await this.ask(this.data.lastQuestion, { category: choice.code, second_turn: true })
    },
    async handOver() {
      this.push('me', '转人工')
      this.setData({ sending: true, error: '' })
      try {
        const res = await api.call('handOver', {
          text: this.data.lastQuestion || '转人工', category: this.data.lastCategory || null,
          request_id: api.requestId(),
        })
        this.push('bot', res.reply)
        if (res.case_number) await ui.askSubscribe('case_accepted', ['case_result', 'survey_invitation'])
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      } finally {
        this.setData({ sending: false })
      }
    },
  },
})
