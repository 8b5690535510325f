/* Planner's editor: Leaflet + Leaflet-Geoman (vendored, MIT).  Pick a zone and drag its
 * vertices (Polygons and MultiPolygons alike), or redraw it; edit the spec JSON; preview the
 * impact; save a new version.  Only the zones the planner touched are sent as drawn: the others
 * go back exactly as they were loaded, so they stay byte-identical in the new version.
 * All labels go through textContent (never innerHTML). */
(function () {
  "use strict";
  var G = window.GeoEnroll;
  var box = document.getElementById("editor");
  if (!box) { return; }
  var baseId = parseInt(box.getAttribute("data-version"), 10);
  var palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4"];
  var statusEl = document.getElementById("status");
  var seen = null;
  var select = document.getElementById("zone-select");
  var saveBtn = document.getElementById("btn-save");
  var map = L.map(box, { zoomControl: true });
  var group = new L.FeatureGroup().addTo(map);
  var layers = {};      /* rule_id -> layer */
  var props = {};       /* rule_id -> properties */
  var original = {};    /* rule_id -> the feature as loaded (sent back unchanged when untouched) */
  var order = [];       /* rule ids in the stored order */
  var edited = {};      /* rule_id -> true once its geometry was dragged or redrawn */
  var selected = null;
  var zonesEdited = false;  /* zones are sent only when edited; a spec edit alone re-digitises */
  var spec0 = "";

  function setStatus(text) { statusEl.textContent = text; }
  function colourOf(school, schools) { return palette[schools.indexOf(school) % palette.length]; }

  function markDirty() { saveBtn.disabled = true; setStatus("已修改，请先预览 (edited: preview before saving)"); }
  function markZone(rid) {
    edited[rid] = true;
    zonesEdited = true;
    box.setAttribute("data-edited", Object.keys(edited).sort().join(" "));
    markDirty();
  }

  function editable(layer, rid) {
    layer.on("pm:edit", function () { markZone(rid); });
    layer.on("pm:markerdragend", function () { markZone(rid); });
    layer.on("pm:vertexremoved", function () { markZone(rid); });
    layer.on("click", function () { choose(rid); });
  }

  /* the base map's areas and streets, drawn under the zones as the background (offline) */
  function background(d) {
    var bm = d.basemap || {};
    var pane = map.createPane("ge-background");
    pane.classList.add("ge-background-pane");
    var fills = { county: 0, town: 0.25, township: 0.2, community: 0.45, village: 0.45, compound: 0.55 };
    if (bm.areas && bm.areas.features && bm.areas.features.length) {
      L.geoJSON(bm.areas, {
        pane: "ge-background", interactive: false,
        style: function (f) {
          var k = f.properties.kind;
          var water = k === "water";
          return { color: water ? "#7fb3c8" : "#c2b59b", weight: 1, dashArray: k === "county" ? "4 4" : null,
                   fillColor: water ? "#aad3df" : "#e9e2d2",
                   fillOpacity: fills.hasOwnProperty(k) ? fills[k] : 0.4 };
        }
      }).addTo(map);
    }
    if (bm.streets && bm.streets.features && bm.streets.features.length) {
      L.geoJSON(bm.streets, {
        pane: "ge-background",
        style: function (f) {
          var k = f.properties.kind;
          if (k === "river" || k === "stream" || k === "canal") { return { color: "#5fa8d3", weight: 3, opacity: 0.9 }; }
          return { color: "#8a8a8a", weight: 2, opacity: 0.9 };
        },
        onEachFeature: function (f, layer) {
          if (f.properties.name) { layer.bindTooltip(G.el("span", String(f.properties.name)), { sticky: true }); }
        }
      }).addTo(map);
    }
    box.setAttribute("data-background", String(((bm.areas || {}).features || []).length + ((bm.streets || {}).features || []).length));
  }

  G.api("GET", "/api/versions/" + baseId).then(function (d) {
    seen = d.seen;  /* the newest version when loaded: a save on the same base since is a conflict */
    var feats = (d.zones && d.zones.features) || [];
    var schools = [];
    background(d);
    feats.forEach(function (f) { var s = f.properties.school; if (schools.indexOf(s) < 0) { schools.push(s); } });
    feats.forEach(function (f) {
      var rid = f.properties.rule_id;
      original[rid] = f;
      props[rid] = f.properties;
      order.push(rid);
      if (!f.geometry) { return; }
      var gj = L.geoJSON(f, { style: { color: colourOf(f.properties.school, schools), weight: 2, fillOpacity: 0.3 } });
      gj.eachLayer(function (layer) {
        layers[rid] = layer;
        /* a DOM node, not a string: Leaflet would put a string in innerHTML */
        layer.bindTooltip(G.el("span", String(f.properties.school) + " · " + String(rid)), { sticky: true });
        editable(layer, rid);
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
  }).catch(function (e) { setStatus("载入失败 (loading failed): " + e.message); });

  function choose(rid) {
    if (selected && layers[selected] && layers[selected].pm) { layers[selected].pm.disable(); }
    selected = rid;
    select.value = rid;
    var layer = layers[rid];
    if (!layer) { setStatus("片区 " + rid + " 没有图形，请用“重画”画出 (no shape yet: redraw it)"); return; }
    layer.pm.enable({ allowSelfIntersection: false, snappable: false, draggable: false });
    layer.bringToFront();
    setStatus("编辑片区 " + rid + "：拖动顶点修改边界，或点“重画此片区” (drag vertices, or redraw)");
  }
  document.getElementById("btn-edit-zone").addEventListener("click", function () { if (select.value) { choose(select.value); } });

  var redraw = document.getElementById("btn-redraw-zone");
  if (redraw) {
    redraw.addEventListener("click", function () {
      if (!select.value) { setStatus("请先选择要重画的片区 (choose a zone to redraw first)"); return; }
      choose(select.value);
      map.pm.enableDraw("Polygon", { allowSelfIntersection: false, snappable: false });
      setStatus("在地图上逐点画出新边界，点击第一个点结束 (click the corners; click the first to finish)");
    });
  }
  map.on("pm:create", function (e) {
    if (!selected) { map.removeLayer(e.layer); return; }
    var old = layers[selected];
    var style = old ? old.options : { color: "#555555" };
    if (old) { old.pm.disable(); group.removeLayer(old); }
    var layer = e.layer;
    map.removeLayer(layer);
    layer.setStyle({ color: style.color, weight: 3, fillOpacity: 0.3 });
    layers[selected] = layer;
    layer.bindTooltip(G.el("span", String(props[selected].school) + " · " + String(selected)), { sticky: true });
    editable(layer, selected);
    group.addLayer(layer);
    markZone(selected);
  });
  document.getElementById("spec-text").addEventListener("input", markDirty);

  function collect() {
    var features = order.map(function (rid) {
      if (!edited[rid]) { return original[rid]; }
      var f = layers[rid].toGeoJSON(false);  /* full precision: no rounding */
      f.properties = props[rid];
      return f;
    });
    var body = {};
    if (zonesEdited) { body.zones = { type: "FeatureCollection", features: features }; }
    var text = document.getElementById("spec-text").value;
    if (text !== spec0) { body.spec = JSON.parse(text); }
    return body;
  }

  function table(headers, rows, cls) {
    var t = G.el("table", null, "grid" + (cls ? " " + cls : ""));
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
      var changed = d.changed_rules || [];
      out.appendChild(G.el("p", "修改的片区 zones changed: " + (changed.length ? changed.join("、") : "无 none"), "changed-rules"));
      out.appendChild(G.el("h2", "换校学生 children who change school: " + d.n_changes, "n-changes"));
      out.appendChild(table(["学生编号 student", "学段 level", "原学校 from", "新学校 to", "状态 status"],
        d.changes.slice(0, 100).map(function (c) {
          return [c.student_id, c.level_label || c.level, c.from, c.to, c.status_label || c.status];
        }), "changes"));
      out.appendChild(G.el("h2", "学位余缺 seat balance (before → after)"));
      var before = {};
      d.seats_before.forEach(function (s) { before[s.school] = s; });
      out.appendChild(table(["学校 school", "学位 seats", "已派位 placed 前→后", "余缺 balance 后"], d.seats_after.map(function (s) {
        var b = before[s.school] || { placed: 0 };
        return [s.school, s.seats, b.placed + " → " + s.placed, s.balance];
      }), "seats"));
      out.appendChild(G.el("h2", "空白与重叠 gaps & overlaps"));
      var words = d.problem_labels || {};
      out.appendChild(table(["项目 item", "修改前 before", "修改后 after"], Object.keys(d.problems_after).map(function (k) {
        return [words[k] || k, d.problems_before[k] || 0, d.problems_after[k]];
      }), "problems"));
      if (d.unchanged) {
        saveBtn.disabled = true;
        setStatus("没有修改 nothing changed：与版本 " + baseId + " 相同，无需保存");
        return;
      }
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
    if (typeof seen === "number") { body.seen = seen; }
    saveBtn.disabled = true;
    save(body);
  });

  /* Save; on a conflict (another planner saved on the same version first) the edit stays in
     the editor and can be saved as a branch of the same version, never silently dropped. */
  function save(body) {
    G.api("POST", "/api/versions", body).then(function (d) {
      setStatus("已保存为版本 " + d.id + " (saved)");
      window.location.href = "/planner/";
    }).catch(function (e) {
      saveBtn.disabled = false;
      setStatus("保存失败 (save failed): " + e.message);
      if (e.status === 409 && !body.branch) {
        var b = G.el("button", "另存为分支 save as a branch", "branch-save");
        b.type = "button";
        b.addEventListener("click", function () {
          b.disabled = true;
          save(Object.assign({}, body, { branch: true }));
        });
        statusEl.appendChild(document.createTextNode(" "));
        statusEl.appendChild(b);
      }
    });
  }
})();
