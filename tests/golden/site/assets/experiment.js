/* runreport site: the experiment page. The runs come from runs.js (window.runreportRuns); the
   table shows one page of rows at a time, so 10,000 runs and 200 columns stay responsive. */
(function () {
  "use strict";
  var rr = window.runreport;
  var data = window.runreportRuns;
  var page = rr.pageData();
  if (!data) return;
  unpackValues(data);

  /* runs.js keeps values by column ({v: values} or {d: distinct, c: codes}); give each run
     its row of values, r.v, aligned with data.columns. */
  function unpackValues(d) {
    var columns = d.values.map(function (col) {
      if (col.v) return col.v;
      return col.c.map(function (code) { return code < 0 ? null : col.d[code]; });
    });
    d.runs.forEach(function (r, i) {
      var v = new Array(columns.length);
      for (var j = 0; j < columns.length; j++) v[j] = columns[j][i];
      r.v = v;
    });
  }

  var BASE = [
    { id: "name", label: "Run", kind: "base", get: function (r) { return r.name; } },
    { id: "status", label: "Status", kind: "base", get: function (r) { return r.status; } },
    { id: "start", label: "Started (UTC)", kind: "base", get: function (r) { return r.start; } },
    { id: "duration", label: "Duration", kind: "base", get: duration },
    { id: "user", label: "User", kind: "base", get: function (r) { return r.user; } },
    { id: "commit", label: "Commit", kind: "base", get: function (r) { return r.commit; } },
  ];
  var META_TAGS = rr.dict();
  META_TAGS["mlflow.runName"] = "name";
  META_TAGS["mlflow.user"] = "user";
  META_TAGS["mlflow.parentRunId"] = "parent";
  var columns = BASE.concat(
    data.columns.map(function (c, index) {
      return {
        id: c.id,
        label: c.key,
        kind: c.kind,
        index: index,
        get: function (r) {
          var v = r.v[index];
          return c.kind === "metric" ? (v === null ? null : rr.num(v)) : v;
        },
      };
    })
  );
  var byId = rr.dict();
  columns.forEach(function (c) { byId[c.id] = c; });
  var tagIndex = rr.dict();
  data.columns.forEach(function (c, index) {
    if (c.kind === "tag") tagIndex[c.key] = index;
  });
  var paramIndex = rr.dict();
  var metricIndex = rr.dict();
  data.columns.forEach(function (c, index) {
    if (c.kind === "param") paramIndex[c.key] = index;
    if (c.kind === "metric") metricIndex[c.key] = index;
  });
  var runsById = rr.dict();
  data.runs.forEach(function (r) { runsById[r.id] = r; });

  var state = {
    sort: "start",
    descending: true,
    predicate: function () { return true; },
    filterText: "",
    page: 0,
    pageSize: page.pageSize || 100,
    visible: new Set(BASE.map(function (c) { return c.id; }).concat(data.visible)),
    selected: new Set(),
    view: [],
  };

  function duration(r) {
    return r.start !== null && r.end !== null ? r.end - r.start : null;
  }

  /* The filter's view of a run, by entity and key (undefined when missing). */
  function getter(r) {
    return function (entity, key) {
      var i, v;
      if (entity === "metric") {
        i = metricIndex[key];
        v = i === undefined ? null : r.v[i];
        return v === null ? undefined : rr.num(v);
      }
      if (entity === "param") {
        i = paramIndex[key];
        v = i === undefined ? null : r.v[i];
        return v === null ? undefined : v;
      }
      if (entity === "tag") {
        if (META_TAGS[key]) return r[META_TAGS[key]] || undefined;
        i = tagIndex[key];
        v = i === undefined ? null : r.v[i];
        return v === null ? undefined : v;
      }
      switch (key) {
        case "run_id": return r.id;
        case "run_name": return r.name;
        case "status": return r.status;
        case "user_id": return r.user === null ? undefined : r.user;
        case "start_time": return r.start === null ? undefined : r.start;
        case "end_time": return r.end === null ? undefined : r.end;
      }
      return undefined;
    };
  }

  /* ------------------------------------------------------------ ordering */

  function isMissing(v) {
    return v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));
  }

  function compareValues(a, b) {
    if (typeof a === "string" && typeof b === "string") {
      var na = Number(a), nb = Number(b);
      if (a.trim() !== "" && b.trim() !== "" && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
      return a < b ? -1 : a > b ? 1 : 0;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function sorter() {
    var column = byId[state.sort] || byId.start;
    var sign = state.descending ? -1 : 1;
    return function (x, y) {
      var a = column.get(x), b = column.get(y);
      var missing = isMissing(a) - isMissing(b);
      if (missing) return missing; /* missing values (and NaN) last, whichever the direction */
      if (isMissing(a)) return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
      return sign * compareValues(a, b) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
    };
  }

  /* Filter, sort, and put each run's children right under it (depth-first). */
  function computeView() {
    var kept = data.runs.filter(function (r) { return state.predicate(getter(r)); });
    var keptIds = new Set(kept.map(function (r) { return r.id; }));
    var children = rr.dict();
    var roots = [];
    kept.forEach(function (r) {
      if (r.parent && keptIds.has(r.parent) && r.parent !== r.id) {
        (children[r.parent] = children[r.parent] || []).push(r);
      } else roots.push(r);
    });
    var compare = sorter();
    var view = [];
    var seen = new Set();
    function visit(r, depth) {
      if (seen.has(r.id)) return;
      seen.add(r.id);
      view.push({ run: r, depth: depth });
      (children[r.id] || []).sort(compare).forEach(function (c) { visit(c, depth + 1); });
    }
    roots.sort(compare).forEach(function (r) { visit(r, 0); });
    kept.forEach(function (r) { visit(r, 0); }); /* runs in a parent cycle */
    state.view = view;
  }

  /* ------------------------------------------------------------ rendering */

  var table = document.getElementById("runs-table");
  var thead = table.querySelector("thead");
  var tbody = table.querySelector("tbody");

  function shownColumns() {
    return columns.filter(function (c) { return state.visible.has(c.id); });
  }

  function renderHead() {
    rr.clear(thead);
    var row = rr.el("tr");
    var all = rr.el("input", { type: "checkbox", id: "select-page", "aria-label": "Select every run on this page" });
    all.addEventListener("change", function () {
      pageRows().forEach(function (item) {
        if (all.checked) state.selected.add(item.run.id);
        else state.selected.delete(item.run.id);
      });
      renderBody();
      updateCompare();
    });
    row.appendChild(rr.el("th", { scope: "col", class: "select" }, [all]));
    shownColumns().forEach(function (c) {
      var sort = state.sort === c.id ? (state.descending ? "descending" : "ascending") : "none";
      var button = rr.el("button", { type: "button", class: "sort", "data-column": c.id, title: c.id }, [c.label]);
      button.addEventListener("click", function () {
        if (state.sort === c.id) state.descending = !state.descending;
        else {
          state.sort = c.id;
          state.descending = c.kind === "metric" || c.id === "start";
        }
        update(false);
        var again = thead.querySelector('button[data-column="' + CSS.escape(c.id) + '"]');
        if (again) again.focus();
      });
      var numeric = c.kind === "metric" || c.id === "duration";
      row.appendChild(rr.el("th", { scope: "col", "aria-sort": sort, "data-column": c.id, class: numeric ? "num" : null }, [button]));
    });
    thead.appendChild(row);
  }

  function pageRows() {
    var start = state.page * state.pageSize;
    return state.view.slice(start, start + state.pageSize);
  }

  function cell(c, r) {
    var value = c.get(r);
    if (c.id === "name") {
      return rr.el("td", { class: "name" }, [rr.el("a", { href: rr.runHref(page.runHref, r.id), text: r.name || r.id })]);
    }
    if (c.id === "status") return rr.el("td", {}, [rr.el("span", { class: "badge status-" + String(r.status).toLowerCase(), text: r.status })]);
    if (c.id === "start") return rr.el("td", { text: rr.formatTime(value) });
    if (c.id === "duration") return rr.el("td", { class: "num", text: rr.formatDuration(value) });
    if (c.id === "commit") return rr.el("td", {}, value ? [rr.el("code", { text: value })] : ["-"]);
    if (c.kind === "metric") return rr.el("td", { class: "num", title: value === null ? null : String(value), text: rr.formatNumber(value) });
    return rr.el("td", { title: value === null || value === undefined ? null : String(value), text: value === null || value === undefined ? "" : String(value) });
  }

  function renderBody() {
    var shown = shownColumns();
    var fragment = document.createDocumentFragment();
    pageRows().forEach(function (item) {
      var r = item.run;
      var selected = state.selected.has(r.id);
      var tr = rr.el("tr", { "data-run": r.id, class: (item.depth ? "child" : "") + (selected ? " selected" : "") });
      var box = rr.el("input", { type: "checkbox", class: "select-run", value: r.id, "aria-label": "Select run " + (r.name || r.id) });
      box.checked = selected;
      box.addEventListener("change", function () {
        if (box.checked) state.selected.add(r.id);
        else state.selected.delete(r.id);
        tr.classList.toggle("selected", box.checked);
        updateCompare();
      });
      tr.appendChild(rr.el("td", { class: "select" }, [box]));
      shown.forEach(function (c) { tr.appendChild(cell(c, r)); });
      fragment.appendChild(tr);
    });
    rr.clear(tbody);
    tbody.appendChild(fragment);
    var pages = Math.max(1, Math.ceil(state.view.length / state.pageSize));
    var first = state.view.length ? state.page * state.pageSize + 1 : 0;
    var last = Math.min(state.view.length, (state.page + 1) * state.pageSize);
    document.getElementById("page-info").textContent =
      "Runs " + first.toLocaleString("en-US") + "–" + last.toLocaleString("en-US") + " of " +
      state.view.length.toLocaleString("en-US") + " · page " + (state.page + 1) + " of " + pages;
    document.getElementById("page-prev").disabled = state.page === 0;
    document.getElementById("page-next").disabled = state.page >= pages - 1;
    var all = document.getElementById("select-page");
    if (all) all.checked = pageRows().length > 0 && pageRows().every(function (i) { return state.selected.has(i.run.id); });
  }

  function updateCompare() {
    var button = document.getElementById("compare-button");
    button.textContent = "Compare selected (" + state.selected.size + ")";
    button.disabled = state.selected.size < 1;
  }

  function update(resetPage) {
    computeView();
    if (resetPage) state.page = 0;
    state.page = Math.min(state.page, Math.max(0, Math.ceil(state.view.length / state.pageSize) - 1));
    renderHead();
    renderBody();
  }

  /* ------------------------------------------------------------ controls */

  function applyFilter(text, quiet) {
    var status = document.getElementById("filter-status");
    var input = document.getElementById("filter");
    try {
      state.predicate = window.runreportFilter.compile(text);
    } catch (error) {
      if (!(error instanceof window.runreportFilter.FilterError)) throw error;
      if (quiet) return;
      input.setAttribute("aria-invalid", "true");
      status.className = "status-line error";
      status.textContent = "Invalid filter at position " + error.position + ": " + error.reason + "\n" + text + "\n" + " ".repeat(error.position) + "^";
      return;
    }
    input.removeAttribute("aria-invalid");
    state.filterText = text;
    update(true);
    status.className = "status-line";
    status.textContent = text.trim()
      ? state.view.length.toLocaleString("en-US") + " of " + data.runs.length.toLocaleString("en-US") + " runs match"
      : "";
    if (window.history && window.history.replaceState) {
      var hash = text.trim() ? "#filter=" + encodeURIComponent(text) : " ";
      try { window.history.replaceState(null, "", hash === " " ? location.pathname + location.search : hash); } catch (e) { /* file:// in some browsers */ }
    }
    scheduleCharts();
  }

  function setupFilter() {
    var form = document.getElementById("filter-form");
    var input = document.getElementById("filter");
    var timer = null;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      applyFilter(input.value, false);
    });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { applyFilter(input.value, true); }, 300);
    });
    document.getElementById("filter-clear").addEventListener("click", function () {
      input.value = "";
      applyFilter("", false);
      input.focus();
    });
    var match = location.hash.match(/^#filter=(.*)$/);
    if (match) {
      try { input.value = decodeURIComponent(match[1]); } catch (e) { input.value = ""; }
      if (input.value) applyFilter(input.value, false);
    }
  }

  function setupColumns() {
    var list = document.getElementById("column-list");
    var search = document.getElementById("column-search");
    var groups = [["base", "Run"], ["metric", "Metrics"], ["param", "Params"], ["tag", "Tags"]];
    groups.forEach(function (g) {
      var members = columns.filter(function (c) { return c.kind === g[0] && c.id !== "name"; });
      if (!members.length) return;
      list.appendChild(rr.el("p", { class: "group", text: g[1] }));
      members.forEach(function (c) {
        var box = rr.el("input", { type: "checkbox", value: c.id, "data-column": c.id });
        box.checked = state.visible.has(c.id);
        box.addEventListener("change", function () {
          if (box.checked) state.visible.add(c.id);
          else state.visible.delete(c.id);
          update(false);
        });
        list.appendChild(rr.el("label", { "data-label": (c.id + " " + c.label).toLowerCase() }, [box, " ", c.kind === "base" ? c.label : c.label]));
      });
    });
    search.addEventListener("input", function () {
      var needle = search.value.toLowerCase();
      list.querySelectorAll("label").forEach(function (label) {
        label.hidden = needle && label.getAttribute("data-label").indexOf(needle) < 0;
      });
    });
    function setAll(on) {
      list.querySelectorAll("label:not([hidden]) input").forEach(function (box) {
        box.checked = on;
        if (on) state.visible.add(box.value);
        else state.visible.delete(box.value);
      });
      update(false);
    }
    document.getElementById("columns-all").addEventListener("click", function () { setAll(true); });
    document.getElementById("columns-none").addEventListener("click", function () { setAll(false); });
  }

  function setupPager() {
    document.getElementById("page-prev").addEventListener("click", function () {
      state.page = Math.max(0, state.page - 1);
      renderBody();
    });
    document.getElementById("page-next").addEventListener("click", function () {
      state.page += 1;
      update(false);
    });
    document.getElementById("compare-button").addEventListener("click", function () {
      var ids = Array.from(state.selected);
      ids.sort(function (a, b) {
        var ra = runsById[a], rb = runsById[b];
        return (ra && rb ? (ra.start || 0) - (rb.start || 0) : 0) || (a < b ? -1 : 1);
      });
      window.location.href = page.compareHref + "?runs=" + ids.map(encodeURIComponent).join(",");
    });
  }

  /* ------------------------------------------------------------ charts */

  var chartTimer = null;
  function scheduleCharts() {
    clearTimeout(chartTimer);
    chartTimer = setTimeout(drawCharts, 50);
  }

  function filteredRuns() {
    return state.view.map(function (item) { return item.run; });
  }

  function drawCharts() {
    var runs = filteredRuns();
    var across = Array.from(document.querySelectorAll('.chart[data-chart="across"]'));
    rr.whenVisible(across, function (el) {
      var i = metricIndex[el.getAttribute("data-metric")];
      var rows = [];
      runs.forEach(function (r) {
        var v = r.v[i] === null ? null : rr.num(r.v[i]);
        if (typeof v === "number" && Number.isFinite(v) && r.start !== null) {
          rows.push({ name: r.name, start: r.start, value: v, status: r.status });
        }
      });
      var spec = JSON.parse(JSON.stringify(page.charts.across));
      spec.title = el.getAttribute("data-metric");
      rr.draw(el, spec, rows);
    });
    var parallel = document.getElementById("parallel-chart");
    if (parallel) rr.whenVisible([parallel], function () { drawParallel(runs.slice(0, 1000)); });
    var scatter = document.getElementById("scatter-chart");
    if (scatter) rr.whenVisible([scatter], function () { drawScatter(runs); });
  }

  function drawParallel(runs) {
    var el = document.getElementById("parallel-chart");
    if (!el) return;
    var axes = [];
    data.columns.forEach(function (c, index) {
      if (c.kind === "tag") return;
      var count = axes.filter(function (a) { return a.kind === c.kind; }).length;
      if (count >= 8) return;
      axes.push({
        kind: c.kind,
        label: c.id,
        value: function (r) {
          var v = r.v[index];
          if (v === null) return null;
          if (c.kind === "metric") return rr.num(v);
          var n = Number(v);
          return v.trim() !== "" && !Number.isNaN(n) && paramIsNumeric[c.key] ? n : v;
        },
      });
    });
    axes.sort(function (a, b) { return (a.kind === "param" ? 0 : 1) - (b.kind === "param" ? 0 : 1); });
    rr.draw(el, page.charts.parallel, rr.parallelRows(runs, axes));
  }

  var paramIsNumeric = rr.dict();
  data.columns.forEach(function (c, index) {
    if (c.kind !== "param") return;
    paramIsNumeric[c.key] = data.runs.every(function (r) {
      var v = r.v[index];
      return v === null || (v.trim() !== "" && !Number.isNaN(Number(v)));
    });
  });

  function drawScatter(runs) {
    var el = document.getElementById("scatter-chart");
    var xs = document.getElementById("scatter-x");
    var ys = document.getElementById("scatter-y");
    if (!el || !xs || !ys || !xs.value) return;
    var cx = byId[xs.value], cy = byId[ys.value];
    if (!cx || !cy) return;
    var rows = [];
    runs.forEach(function (r) {
      var x = Number(rr.num(cx.get(r))), y = Number(rr.num(cy.get(r)));
      if (cx.get(r) === null || cy.get(r) === null || !Number.isFinite(x) || !Number.isFinite(y)) return;
      rows.push({ name: r.name, x: x, y: y, status: r.status });
    });
    var spec = JSON.parse(JSON.stringify(page.charts.scatter));
    spec.encoding.x.title = xs.value;
    spec.encoding.y.title = ys.value;
    rr.draw(el, spec, rows);
  }

  function setupScatter() {
    var xs = document.getElementById("scatter-x");
    var ys = document.getElementById("scatter-y");
    if (!xs || !ys) return;
    if (ys.options.length > 1) ys.selectedIndex = 1;
    xs.addEventListener("change", function () { drawScatter(filteredRuns()); });
    ys.addEventListener("change", function () { drawScatter(filteredRuns()); });
  }

  /* ------------------------------------------------------------ start */

  /* For tests and the console: the ids of the runs a filter keeps, in table order. */
  rr.matchingRuns = function (text) {
    var keep = window.runreportFilter.compile(text);
    return data.runs.filter(function (r) { return keep(getter(r)); }).map(function (r) { return r.id; });
  };

  setupColumns();
  setupPager();
  setupScatter();
  update(true);
  updateCompare();
  setupFilter();
  rr.markReady();
  setTimeout(drawCharts, 0);
})();
