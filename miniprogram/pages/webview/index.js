// An H5 page of fawu (a 普法 article) inside the mini-program; only http(s) addresses are opened.
Component({
  data: { url: '' },
  methods: {
    onLoad(query) {
      let url = ''
      try { url = decodeURIComponent((query && query.url) || '') } catch (e) { url = '' }
      this.setData({ url: /^https?:\/\//.test(url) ? url : '' })
    },
  },
})
