// The 12348 hotline, one tap to call (every page that may leave a resident without an answer shows it).
const ui = require('../../utils/ui')

Component({
  properties: { number: { type: String, value: '12348' } },
  methods: {
    dial() { ui.call(this.data.number) },
  },
})
