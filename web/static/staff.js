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
