// A friendly message in the page (an error in Chinese, offline, or a hint), and a banner while the
// phone has no network (wx.onNetworkStatusChange); when the network is back the page hears `online`
// (pages reload what failed).
Component({
  properties: { text: { type: String, value: '' }, kind: { type: String, value: 'error' } },
  data: { offline: false },
  lifetimes: {
    attached() {
      this.onNet = (res) => {
        const offline = !(res && res.isConnected)
        const back = this.data.offline && !offline
        this.setData({ offline })
        if (back) this.triggerEvent('online')
      }
      if (typeof wx.getNetworkType === 'function') {
        wx.getNetworkType({ success: (r) => this.setData({ offline: !!r && r.networkType === 'none' }), fail: () => {} })
      }
      if (typeof wx.onNetworkStatusChange === 'function') wx.onNetworkStatusChange(this.onNet)
    },
    detached() {
      if (typeof wx.offNetworkStatusChange === 'function' && this.onNet) wx.offNetworkStatusChange(this.onNet)
    },
  },
})
