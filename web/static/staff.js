/* Staff: reveal one child's full ID number on demand (each reveal is audited server-side). */
(function () {
  "use strict";
  var btn = document.getElementById("btn-reveal");
  if (!btn) { return; }
  btn.addEventListener("click", function () {
    window.GeoEnroll.api("POST", btn.getAttribute("data-url"), {}).then(function (d) {
      document.getElementById("id-number").textContent = d.id_number;
      btn.disabled = true;
    }).catch(function (e) { window.alert(e.message); });
  });
})();
