/* Shared helpers: JSON requests with the session's CSRF token. */
(function () {
  "use strict";
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  function api(method, url, body) {
    var opts = { method: method, credentials: "same-origin",
                 headers: { "Accept": "application/json", "X-CSRF-Token": csrf() } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok || data.ok === false) {
          var msg = (data && data.error) || ("HTTP " + r.status);
          if (data && data.errors && data.errors.length) { msg += ": " + data.errors.join("; "); }
          var err = new Error(msg);
          err.status = r.status;
          throw err;
        }
        return data;
      });
    });
  }
  /* build DOM text safely: never innerHTML with data */
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  window.GeoEnroll = { api: api, el: el, csrf: csrf };
})();
