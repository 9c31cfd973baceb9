/* runreport site: the compare page, addressed by run ids (compare.html?runs=ID1,ID2). Each
   run's data file (runs/<id>.js) is loaded by a <script> element, so the page works from
   file:// too, and a link keeps working after every rebuild. The first run is the baseline. */
(function () {
  "use strict";
  var rr = window.runreport;
  var page = rr.pageData();
  var ID = /^[A-Za-z0-9_-]{1,64}$/;
  var status = document.getElementById("compare-status");

  function requestedIds() {
    var raw = new URLSearchParams(location.search).get("runs") || "";
    var ids = [];
    raw.split(",").forEach(function (part) {
      var id = part.trim();
      if (ID.test(id) && ids.indexOf(id) < 0) ids.push(id);
    });
    return ids;
  }

  function load(id) {
    return new Promise(function (resolve) {
      var store = window.runreportRunData || {};
      if (store[id]) return resolve(store[id]);
      var script = document.createElement("script");
      script.src = page.runBase + encodeURIComponent(id) + ".js";
      script.onload = function () { resolve((window.runreportRunData || {})[id] || null); };
      script.onerror = function () { resolve(null); };
      document.body.appendChild(script);
    });
  }

  function labels(runs) {
    var counts = rr.dict();
    runs.forEach(function (r) { counts[r.name] = (counts[r.name] || 0) + 1; });
    return runs.map(function (r) { return counts[r.name] > 1 ? r.name + " (" + r.id.slice(0, 8) + ")" : r.name || r.id; });
  }

  function head(table, names, first) {
    var tr = rr.el("tr", {}, [rr.el("th", { scope: "col", text: first })]);
    names.forEach(function (name, i) {
      tr.appendChild(rr.el("th", { scope: "col", text: name + (i === 0 ? " (baseline)" : "") }));
    });
    rr.clear(table.tHead);
    table.tHead.appendChild(tr);
  }

  function runsTable(runs, names) {
    var table = document.getElementById("compare-runs-table");
    head(table, names, "");
    var body = table.tBodies[0];
    var rows = [
      ["Run", function (r) { return rr.el("a", { href: rr.runHref(page.runBase, r.id), text: r.id.slice(0, 12) }); }],
      ["Experiment", function (r) { return r.experiment.name; }],
      ["Status", function (r) { return rr.el("span", { class: "badge status-" + r.status.toLowerCase(), text: r.status }); }],
      ["Started (UTC)", function (r) { return rr.formatTime(r.start); }],
      ["Duration", function (r) { return rr.formatDuration(r.start !== null && r.end !== null ? r.end - r.start : null); }],
    ];
    rows.forEach(function (row) {
      var tr = rr.el("tr", {}, [rr.el("th", { scope: "row", text: row[0] })]);
      runs.forEach(function (r) { tr.appendChild(rr.el("td", {}, [row[1](r)])); });
      body.appendChild(tr);
    });
  }

  function keysOf(runs, field) {
    var keys = new Set();
    runs.forEach(function (r) { Object.keys(r[field]).forEach(function (k) { keys.add(k); }); });
    return Array.from(keys).sort();
  }

  function paramsTable(runs, names) {
    var table = document.getElementById("params-table");
    head(table, names, "Param");
    var body = table.tBodies[0];
    keysOf(runs, "params").forEach(function (key) {
      var values = runs.map(function (r) { return Object.prototype.hasOwnProperty.call(r.params, key) ? r.params[key] : null; });
      var differs = values.some(function (v) { return v !== values[0]; });
      var tr = rr.el("tr", { class: differs ? "differs" : "same", "data-key": key }, [rr.el("th", { scope: "row" }, [rr.el("code", { text: key })])]);
      values.forEach(function (v) { tr.appendChild(rr.el("td", { text: v === null ? "-" : v })); });
      body.appendChild(tr);
    });
    var toggle = document.getElementById("diff-only");
    function apply() {
      body.querySelectorAll("tr.same").forEach(function (tr) { tr.hidden = toggle.checked; });
    }
    toggle.addEventListener("change", apply);
    apply();
  }

  function delta(value, base) {
    if (typeof value !== "number" || typeof base !== "number" || !Number.isFinite(value) || !Number.isFinite(base)) return "";
    var d = value - base;
    var text = (d > 0 ? "+" : d < 0 ? "" : "±") + rr.formatNumber(d);
    if (base !== 0) text += " (" + (d > 0 ? "+" : "") + rr.formatNumber((100 * d) / Math.abs(base), 3) + "%)";
    return text;
  }

  function metricsTable(runs, names) {
    var table = document.getElementById("metrics-table");
    head(table, names, "Metric");
    var body = table.tBodies[0];
    keysOf(runs, "metrics").forEach(function (key) {
      var values = runs.map(function (r) { var m = rr.own(r.metrics, key); return m ? rr.num(m.last) : null; });
      var goal = (runs.map(function (r) { return rr.own(r.metrics, key); }).filter(Boolean)[0] || {}).goal || "max";
      var finite = values.filter(function (v) { return typeof v === "number" && Number.isFinite(v); });
      var best = finite.length ? (goal === "min" ? Math.min.apply(null, finite) : Math.max.apply(null, finite)) : null;
      var tr = rr.el("tr", { "data-key": key }, [rr.el("th", { scope: "row" }, [rr.el("code", { text: key }), " ", rr.el("span", { class: "muted", text: goal === "min" ? "(lower is better)" : "(higher is better)" })])]);
      values.forEach(function (v, i) {
        var isBest = finite.length > 1 && v === best;
        var td = rr.el("td", { class: "num" + (isBest ? " best" : ""), title: v === null ? null : String(v) }, [rr.formatNumber(v)]);
        if (i > 0) td.appendChild(rr.el("span", { class: "delta", text: delta(v, values[0]) }));
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function charts(runs, names) {
    var grid = document.getElementById("history-charts");
    var elements = [];
    keysOf(runs, "history").forEach(function (key, index) {
      var el = rr.el("div", { class: "chart", id: "compare-history-" + index, "data-chart": "history", "data-metric": key, role: "img", "aria-label": "History of " + key });
      grid.appendChild(rr.el("figure", { class: "chart-box" }, [el]));
      elements.push(el);
    });
    rr.whenVisible(elements, function (el) {
      var key = el.getAttribute("data-metric");
      var rows = [];
      runs.forEach(function (r, i) {
        var h = rr.own(r.history, key);
        if (!h) return;
        for (var j = 0; j < h.step.length; j++) {
          if (h.value[j] !== null) rows.push({ run: names[i], step: h.step[j], value: h.value[j] });
        }
      });
      var spec = JSON.parse(JSON.stringify(page.charts.history));
      spec.title = key;
      rr.draw(el, spec, rows);
    });
    var axes = [];
    keysOf(runs, "params").slice(0, 10).forEach(function (key) {
      axes.push({ label: "params." + key, value: function (r) {
        var v = rr.own(r.params, key);
        if (v === undefined) return null;
        var n = Number(v);
        return v.trim() !== "" && !Number.isNaN(n) ? n : v;
      } });
    });
    keysOf(runs, "metrics").slice(0, 10).forEach(function (key) {
      axes.push({ label: "metrics." + key, value: function (r) { var m = rr.own(r.metrics, key); return m ? rr.num(m.last) : null; } });
    });
    var named = runs.map(function (r, i) { return { id: r.id, name: names[i], params: r.params, metrics: r.metrics }; });
    rr.draw(document.getElementById("parallel-chart"), page.charts.parallel, rr.parallelRows(named, axes));
  }

  var ids = requestedIds();
  if (!ids.length) {
    status.textContent = "No runs to compare yet: select runs on an experiment page and press Compare.";
    rr.markReady();
    return;
  }
  Promise.all(ids.map(load)).then(function (found) {
    var runs = found.filter(Boolean);
    var missing = ids.filter(function (id, i) { return !found[i]; });
    var text = "Comparing " + runs.length + " run" + (runs.length === 1 ? "" : "s") + ".";
    if (missing.length) text += " Not in this report: " + missing.join(", ") + ".";
    status.textContent = text;
    if (runs.length) {
      var names = labels(runs);
      runsTable(runs, names);
      paramsTable(runs, names);
      metricsTable(runs, names);
      ["compare-runs", "compare-params", "compare-metrics", "compare-charts"].forEach(function (id) {
        document.getElementById(id).hidden = false;
      });
      charts(runs, names);
    }
    rr.markReady();
  });
})();
