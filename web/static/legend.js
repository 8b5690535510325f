/* Map legends can be folded away (a button on top of each); on a phone they start folded so
 * that the map stays visible.  No inline styles: classes only (CSP). */
(function () {
  "use strict";
  var narrow = window.matchMedia && window.matchMedia("(max-width: 600px)").matches;
  var en = document.documentElement.lang === "en";
  Array.prototype.forEach.call(document.querySelectorAll(".ge-legend"), function (legend) {
    if (legend.querySelector(".ge-legend-toggle")) { return; }
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "ge-legend-toggle";
    btn.setAttribute("aria-expanded", "true");
    function show(open) {
      legend.classList.toggle("collapsed", !open);
      btn.setAttribute("aria-expanded", open ? "true" : "false");
      btn.textContent = open ? (en ? "Legend ▾ hide" : "图例 ▾ 收起") : (en ? "Legend ▸" : "图例 ▸");
    }
    btn.addEventListener("click", function (e) {
      e.stopPropagation();
      show(legend.classList.contains("collapsed"));
    });
    /* a click on the legend is not a click on the map */
    if (window.L && L.DomEvent) { L.DomEvent.disableClickPropagation(legend); }
    legend.insertBefore(btn, legend.firstChild);
    show(!narrow);
  });
})();
