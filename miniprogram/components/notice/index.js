// A friendly message in the page (an error in Chinese, offline, or a hint).
Component({
  properties: { text: { type: String, value: '' }, kind: { type: String, value: 'error' } },
})
