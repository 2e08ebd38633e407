// What every page's data starts with, and the services the home page offers. Optional services
// show only when GET /api/mp/features says the backend serves them (booking, surveys, articles,
// catalog are added by their own issues: their page paths are reserved here).
const ui = require('./ui')
const config = require('../config')

const SERVICES = [
  { key: 'consult', title: '法律咨询', url: '/pages/consult/index', tab: true },
  { key: 'legal_aid', title: '法律援助', url: '/pages/request/index?kind=legal_aid' },
  { key: 'mediation', title: '人民调解', url: '/pages/request/index?kind=mediation' },
  { key: 'notarization', title: '公证咨询', url: '/pages/request/index?kind=notarization' },
  { key: 'laws', title: '法规查询', url: '/pages/laws/index' },
  { key: 'cases', title: '我的事项', url: '/pages/cases/index', tab: true },
  { key: 'booking', title: '预约服务', url: '/pages/booking/index', feature: 'booking' },
  { key: 'my_bookings', title: '我的预约', url: '/pages/booking/mine', feature: 'booking' },
  { key: 'surveys', title: '服务评价', url: '/pages/surveys/index', feature: 'surveys' },
  { key: 'articles', title: '普法文章', url: '/pages/articles/index', feature: 'articles' }, // served by push
  // the catalogue (issue 21) has its own H5 pages (/catalog): opened in the web-view
  { key: 'catalog', title: '服务目录', web: '/catalog', feature: 'catalog' },
]

function servicesFor(features) {
  return SERVICES.filter((s) => !s.feature || (features && features[s.feature]))
}

function base() {
  return { big: false, error: '', loading: true } // big: set by the largeText behaviour
}

// Every page: the large-text mode read when the page is created and again each time it shows
// (the setting may have changed on another page).
const largeText = Behavior({
  lifetimes: { attached() { this.setData({ big: ui.largeText() }) } },
  pageLifetimes: { show() { this.setData({ big: ui.largeText() }) } },
})

function go(item) {
  if (item && item.web) {
    wx.navigateTo({ url: '/pages/webview/index?url=' + encodeURIComponent(config.apiBase() + item.web) })
    return
  }
  if (!item || !item.url) return
  if (item.tab) wx.switchTab({ url: item.url })
  else wx.navigateTo({ url: item.url })
}

module.exports = { SERVICES, servicesFor, base, go, largeText }
