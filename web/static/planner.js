/* Planner's editor: Leaflet + leaflet-draw (vendored).  Pick a zone, drag its vertices or
 * draw a replacement polygon, edit the spec JSON, preview the impact, save a new version.
 * All labels go through textContent (never innerHTML). */
(function () {
  "use strict";
  var G = window.GeoEnroll;
  var box = document.getElementById("editor");
  if (!box) { return; }
  var baseId = parseInt(box.getAttribute("data-version"), 10);
  var palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4"];
  var statusEl = document.getElementById("status");
  var select = document.getElementById("zone-select");
  var saveBtn = document.getElementById("btn-save");
  var map = L.map(box, { zoomControl: true });
  var group = new L.FeatureGroup().addTo(map);
  var layers = {};      /* rule_id -> layer */
  var props = {};       /* rule_id -> properties */
  var selected = null;
  var dirty = false;
  var zonesEdited = false;  /* zones are sent only when redrawn; a spec edit alone re-digitises */
  var spec0 = "";

  function setStatus(text) { statusEl.textContent = text; }
  function colourOf(school, schools) { return palette[schools.indexOf(school) % palette.length]; }

  function markDirty() { dirty = true; saveBtn.disabled = true; setStatus("已修改，请先预览 (edited: preview before saving)"); }
  function markZones() { zonesEdited = true; markDirty(); }

  G.api("GET", "/api/versions/" + baseId).then(function (d) {
    var feats = (d.zones && d.zones.features) || [];
    var schools = [];
    feats.forEach(function (f) { var s = f.properties.school; if (schools.indexOf(s) < 0) { schools.push(s); } });
    feats.forEach(function (f) {
      if (!f.geometry) { return; }
      var rid = f.properties.rule_id;
      var gj = L.geoJSON(f, { style: { color: colourOf(f.properties.school, schools), weight: 2, fillOpacity: 0.3 } });
      gj.eachLayer(function (layer) {
        layers[rid] = layer;
        props[rid] = f.properties;
        /* a DOM node, not a string: Leaflet would put a string in innerHTML */
        layer.bindTooltip(G.el("span", String(f.properties.school) + " · " + String(rid)), { sticky: true });
        layer.on("click", function () { choose(rid); });
        group.addLayer(layer);
      });
      var opt = G.el("option", f.properties.school + " · " + rid);
      opt.value = rid;
      select.appendChild(opt);
    });
    if (group.getLayers().length) { map.fitBounds(group.getBounds()); } else { map.setView([41.88444, 115.27889], 13); }
    spec0 = JSON.stringify(d.spec, null, 2);
    document.getElementById("spec-text").value = spec0;
    setStatus("已载入版本 " + baseId + " (loaded)");
    box.setAttribute("data-ready", "1");
  }).catch(function (e) { setStatus("载入失败 " + e.message); });

  function choose(rid) {
    if (selected && layers[selected] && layers[selected].editing) { layers[selected].editing.disable(); }
    selected = rid;
    select.value = rid;
    var layer = layers[rid];
    if (layer && layer.editing) {
      layer.editing.enable();
      layer.on("edit", markZones);
    }
    setStatus("编辑片区 " + rid + "：拖动顶点修改边界，或用左侧工具重画 (drag vertices or redraw)");
  }
  document.getElementById("btn-edit-zone").addEventListener("click", function () { if (select.value) { choose(select.value); } });

  var draw = new L.Control.Draw({
    draw: { polygon: { allowIntersection: false, showArea: true }, polyline: false, rectangle: false,
            circle: false, marker: false, circlemarker: false },
    edit: false
  });
  map.addControl(draw);
  map.on(L.Draw.Event.CREATED, function (e) {
    if (!selected) { setStatus("请先选择要重画的片区 (choose a zone to redraw first)"); return; }
    var old = layers[selected];
    if (old.editing) { old.editing.disable(); }
    var style = old.options;
    group.removeLayer(old);
    var layer = e.layer;
    layer.setStyle({ color: style.color, weight: 3, fillOpacity: 0.3 });
    layers[selected] = layer;
    group.addLayer(layer);
    markZones();
  });
  map.on("draw:editvertex", markZones);
  document.getElementById("spec-text").addEventListener("input", markDirty);

  function collect() {
    var features = Object.keys(layers).sort().map(function (rid) {
      var f = layers[rid].toGeoJSON();
      f.properties = props[rid];
      return f;
    });
    var body = {};
    if (zonesEdited) { body.zones = { type: "FeatureCollection", features: features }; }
    var text = document.getElementById("spec-text").value;
    if (text !== spec0) { body.spec = JSON.parse(text); }
    return body;
  }

  function table(headers, rows) {
    var t = G.el("table", null, "grid");
    var tr = G.el("tr");
    headers.forEach(function (h) { tr.appendChild(G.el("th", h)); });
    t.appendChild(tr);
    rows.forEach(function (r) {
      var row = G.el("tr");
      r.forEach(function (c) { row.appendChild(G.el("td", c)); });
      t.appendChild(row);
    });
    return t;
  }

  document.getElementById("btn-preview").addEventListener("click", function () {
    var body;
    try { body = collect(); } catch (e) { setStatus("规则 JSON 有误 (spec JSON invalid): " + e.message); return; }
    setStatus("正在计算影响… (computing)");
    G.api("POST", "/api/versions/" + baseId + "/preview", body).then(function (d) {
      var out = document.getElementById("preview");
      out.textContent = "";
      (d.notes || []).forEach(function (n) { out.appendChild(G.el("p", n, "hint")); });
      out.appendChild(G.el("h2", "换校学生 children who change school: " + d.n_changes, "n-changes"));
      out.appendChild(table(["学生编号", "学段", "原学校", "新学校", "状态"],
        d.changes.slice(0, 100).map(function (c) { return [c.student_id, c.level, c.from, c.to, c.status]; })));
      out.appendChild(G.el("h2", "学位余缺 seat balance (before → after)"));
      var before = {};
      d.seats_before.forEach(function (s) { before[s.school] = s; });
      out.appendChild(table(["学校", "学位", "已录 前→后", "余缺 后"], d.seats_after.map(function (s) {
        var b = before[s.school] || { placed: 0 };
        return [s.school, s.seats, b.placed + " → " + s.placed, s.balance];
      })));
      out.appendChild(G.el("h2", "空白与重叠 gaps & overlaps"));
      out.appendChild(table(["项目", "修改前", "修改后"], Object.keys(d.problems_after).map(function (k) {
        return [k, d.problems_before[k] || 0, d.problems_after[k]];
      })));
      dirty = false;
      saveBtn.disabled = false;
      setStatus("预览完成，可保存为新版本 (preview ready: you may save)");
    }).catch(function (e) { setStatus("预览失败 (preview failed): " + e.message); });
  });

  saveBtn.addEventListener("click", function () {
    var message = document.getElementById("message").value.trim();
    if (!message) { setStatus("请填写修改说明 (a message is required)"); return; }
    var body = collect();
    body.parent_id = baseId;
    body.message = message;
    saveBtn.disabled = true;
    G.api("POST", "/api/versions", body).then(function (d) {
      setStatus("已保存为版本 " + d.id + " (saved)");
      window.location.href = "/planner/";
    }).catch(function (e) { saveBtn.disabled = false; setStatus("保存失败 (save failed): " + e.message); });
  });
})();
