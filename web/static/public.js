/* Parents' page: a click on the map looks up that point (POST, no address in the URL). */
(function () {
  "use strict";
  var holder = document.getElementById("map-var");
  var form = document.getElementById("lookup-form");
  if (!holder || !form) { return; }
  var map = window[holder.getAttribute("data-name")];
  if (!map || !map.on) { return; }
  map.on("click", function (e) {
    document.getElementById("lon").value = e.latlng.lng.toFixed(6);
    document.getElementById("lat").value = e.latlng.lat.toFixed(6);
    document.getElementById("address").value = "";
    form.submit();
  });
})();
