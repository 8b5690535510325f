/* A run's page: poll its progress until it is done, then reload to show the results. */
(function () {
  "use strict";
  var box = document.getElementById("run");
  if (!box) { return; }
  var status = box.getAttribute("data-status");
  if (status !== "queued" && status !== "running") { return; }
  var id = box.getAttribute("data-run");
  function tick() {
    window.GeoEnroll.api("GET", "/api/runs/" + id).then(function (d) {
      document.getElementById("run-status").textContent = d.run.status_label || d.run.status;
      document.getElementById("run-progress").value = d.run.progress;
      document.getElementById("run-pct").textContent = Math.round(d.run.progress * 100) + "%";
      if (d.run.status === "done" || d.run.status === "failed") { window.location.reload(); }
      else { window.setTimeout(tick, 1000); }
    }).catch(function () { window.setTimeout(tick, 3000); });
  }
  window.setTimeout(tick, 500);
})();
