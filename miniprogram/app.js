// 云溪法务 mini-program. Pages are Component()-built pages (testable with miniprogram-simulate);
// they share state through storage and utils/, not getApp().
const api = require('./utils/api')

App({
  onLaunch() {
    // log in early; pages that need the session wait for the same login
    api.login().catch(() => {})
  },
})
