/* Header: switching the jurisdiction submits its form at once (the button stays for no-JS). */
(function () {
  "use strict";
  var sel = document.getElementById("jurisdiction-select");
  var form = document.getElementById("jurisdiction-form");
  if (!sel || !form) { return; }
  sel.addEventListener("change", function () { form.submit(); });
})();
