/* Staff pages: reveal one child's full ID number on demand (each reveal is audited
 * server-side); the placement-of-record page follows a running placement and reloads itself
 * when it has finished. */
(function () {
  "use strict";
  var G = window.GeoEnroll;
  var btn = document.getElementById("btn-reveal");
  if (btn) {
    btn.addEventListener("click", function () {
      G.api("POST", btn.getAttribute("data-url"), {}).then(function (d) {
        document.getElementById("id-number").textContent = d.id_number;
        btn.disabled = true;
      }).catch(function (e) { window.alert(e.message); });
    });
  }
  var pending = document.getElementById("record-pending");
  if (pending) {
    var runId = pending.getAttribute("data-run");
    var statusEl = pending.querySelector(".run-status");
    var bar = pending.querySelector("progress");
    var words = { queued: "排队中 queued", running: "运行中 running", done: "已完成 done", failed: "失败 failed" };
    var poll = function () {
      G.api("GET", "/api/runs/" + encodeURIComponent(runId)).then(function (d) {
        var run = d.run || d;
        statusEl.textContent = words[run.status] || run.status;
        if (bar && typeof run.progress === "number") { bar.value = run.progress; }
        if (run.status === "done" || run.status === "failed") {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 1000);
      }).catch(function () { window.setTimeout(poll, 3000); });
    };
    window.setTimeout(poll, 500);
  }
})();
/* the date printed on the notices: carried by every notices link */
(function () {
  "use strict";
  var input = document.getElementById("notice-date");
  if (!input) { return; }
  var note = document.getElementById("notice-status");
  var links = document.querySelectorAll("a.dl-notices");
  function update() {
    Array.prototype.forEach.call(links, function (a) {
      var url = new URL(a.getAttribute("href"), window.location.href);
      if (input.value) { url.searchParams.set("date", input.value); } else { url.searchParams.delete("date"); }
      a.setAttribute("href", url.pathname + url.search);
    });
    if (input.value) { note.hidden = true; }
  }
  Array.prototype.forEach.call(links, function (a) {
    a.addEventListener("click", function (e) {
      if (!input.value) {
        e.preventDefault();
        note.textContent = "请先选择入学通知书日期 (choose the date printed on the notices first)";
        note.hidden = false;
        input.focus();
      }
    });
  });
  input.addEventListener("change", update);
  update();
})();
