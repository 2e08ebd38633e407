/* fawu console: quick replies into the reply box, knowledge-base search, confirmations. No CDN. */
(function () {
  "use strict";
  function fill(text) {
    var box = document.getElementById("reply-text");
    if (!box) return;
    box.value = box.value ? box.value + "\n" + text : text;
    box.focus();
  }
  function quickButton(title, text) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = title;
    b.setAttribute("data-quick", text);
    return b;
  }
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t && t.getAttribute && t.getAttribute("data-quick") !== null) {
      ev.preventDefault();
      fill(t.getAttribute("data-quick"));
    }
  });
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var msg = f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
  var search = document.getElementById("kb-search");
  if (search) {
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = search.value.trim();
        var out = document.getElementById("kb-results");
        if (!q || !out) return;
        fetch("/console/api/kb?q=" + encodeURIComponent(q), {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : {hits: []}; })
          .then(function (data) {
            out.textContent = "";
            (data.hits || []).forEach(function (h) { out.appendChild(quickButton(h.title, h.answer)); });
            if (!(data.hits || []).length) out.textContent = "知识库中没有找到相关内容";
          });
      }, 300);
    });
  }
})();
