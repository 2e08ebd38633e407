// 云溪法务 mini-program. Pages are Component()-built pages (testable with miniprogram-simulate);
// they share state through storage and utils/, not getApp().
const api = require('./utils/api')
const privacy = require('./utils/privacy')

App({
  onLaunch() {
    // WeChat asks for the privacy guideline's agreement through the page's <privacy> popup
    privacy.listen()
    // log in early; pages that need the session wait for the same login
    api.login().catch(() => {})
  },
})
