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
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t && t.hasAttribute && t.hasAttribute("data-print")) { ev.preventDefault(); window.print(); }
  });

  // New and urgent alerts: the count in the title and a banner at the top, never a sound.
  var baseTitle = document.title;
  function banner() {
    var b = document.getElementById("c-alert-banner");
    if (!b) {
      var main = document.querySelector(".c-main");
      if (!main) return null;
      b = document.createElement("div");
      b.id = "c-alert-banner";
      b.className = "c-banner";
      b.setAttribute("role", "status");
      b.setAttribute("aria-live", "polite");
      b.hidden = true;
      main.insertBefore(b, main.firstChild);
    }
    return b;
  }
  function showAlerts(data) {
    var total = data.total || 0;
    document.title = total ? "(" + total + ") " + baseTitle : baseTitle;
    var b = banner();
    if (!b) return;
    if (!total) { b.hidden = true; return; }
    var first = (data.items || [])[0];
    b.className = "c-banner" + (data.urgent ? " urgent" : "");
    b.textContent = "";
    var msg = document.createElement("span");
    msg.textContent = (data.urgent ? "紧急：" + data.urgent + " 条紧急提醒，" : "") + "共 " + total + " 条新提醒" +
      (first ? "（最新：" + first.text + "）" : "");
    b.appendChild(msg);
    var link = document.createElement("a");
    link.href = first ? "/console/cases/" + first.case_id : "/console/alerts";
    link.textContent = "查看";
    b.appendChild(link);
    var all = document.createElement("a");
    all.href = "/console/alerts";
    all.textContent = "全部提醒";
    b.appendChild(all);
    b.hidden = false;
  }
  function poll() {
    if (!document.querySelector(".c-main[data-alerts]")) return;  // not logged in (or password to change)
    fetch("/console/api/alerts", {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) showAlerts(data); })
      .catch(function () {});
  }
  poll();
  setInterval(poll, 15000);
  window.addEventListener("focus", poll);  // back to the tab: fresh at once

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
