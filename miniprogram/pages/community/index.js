// 社区页: opened by a notice board's mini-program code (scene "b=<board>"), it remembers the board
// as the resident's community and shows its advisor, service points and the hotline.
const api = require('../../utils/api')
const ui = require('../../utils/ui')
const page = require('../../utils/page')

function sceneOf(query) {
  if (!query) return ''
  if (query.scene) {
    try { return decodeURIComponent(query.scene) } catch (e) { return String(query.scene) }
  }
  return query.board ? 'b=' + query.board : ''
}

Component({
  behaviors: [page.largeText],
  data: Object.assign(page.base(), { card: null }),
  methods: {
    async onLoad(query) {
      const scene = sceneOf(query)
      this.setData({ loading: true, error: '' })
      try {
        const card = scene ? await api.call('openBoard', { scene }) : (await api.call('me')).community
        this.setData({ card })
        if (!card) this.setData({ error: '还不知道您所在的村（社区），请选择。' })
      } catch (err) {
        this.setData({ error: ui.errorText(err) })
      } finally {
        this.setData({ loading: false })
      }
    },
    callAdvisor(e) { ui.call(e.currentTarget.dataset.phone) },
    consult() { wx.switchTab({ url: '/pages/consult/index' }) },
    home() { wx.switchTab({ url: '/pages/home/index' }) },
    choose() { wx.navigateTo({ url: '/pages/choose/index' }) },
  },
  sceneOf,
})
