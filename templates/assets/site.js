/* runreport site: helpers shared by every page (formatting, DOM, charts). No dependencies
   besides the Vega bundle (window.vegaEmbed) on pages that draw charts. User data only ever
   reaches the page as text (textContent, setAttribute), never as HTML. */
(function () {
  "use strict";
  var rr = (window.runreport = window.runreport || {});

  /* Lookups by a user's key (a param named "constructor" or "__proto__" is a param like any
     other): own properties only, and maps without a prototype. */
  rr.own = function (object, key) {
    return object && Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
  };
  rr.dict = function () { return Object.create(null); };

  rr.pageData = function () {
    var node = document.getElementById("page-data");
    return node ? JSON.parse(node.textContent) : {};
  };

  /* Numbers arrive as JSON numbers, or "NaN"/"Infinity"/"-Infinity" strings. */
  rr.num = function (value) {
    if (value === "NaN") return NaN;
    if (value === "Infinity") return Infinity;
    if (value === "-Infinity") return -Infinity;
    return value;
  };

  /* The same rules as runreport.formatting.format_number. */
  rr.formatNumber = function (value, digits) {
    digits = digits || 4;
    if (value === null || value === undefined || value === "") return "-";
    value = rr.num(value);
    if (typeof value !== "number") return String(value);
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
    if (value === 0) return "0";
    var magnitude = Math.abs(value);
    if (magnitude >= 1e15 || magnitude < 1e-4) {
      return value.toExponential(digits - 1).replace(/e([+-])(\d)$/, "e$10$2");
    }
    if (Number.isInteger(value)) return value.toLocaleString("en-US");
    var decimals = Math.max(digits - 1 - Math.floor(Math.log10(magnitude)), 0);
    var text = value.toLocaleString("en-US", {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
    return text.indexOf(".") >= 0 ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
  };

  /* The same rules as runreport.formatting.format_duration: 3m 12s, 850ms. */
  rr.formatDuration = function (ms) {
    if (ms === null || ms === undefined || ms < 0 || Number.isNaN(ms)) return "-";
    if (ms < 1000) return Math.floor(ms) + "ms";
    var seconds = Math.floor(ms / 1000);
    var parts = [
      [Math.floor(seconds / 86400), "d"],
      [Math.floor((seconds % 86400) / 3600), "h"],
      [Math.floor((seconds % 3600) / 60), "m"],
      [seconds % 60, "s"],
    ];
    var shown = parts.filter(function (p) { return p[0]; }).slice(0, 2);
    return shown.map(function (p) { return p[0] + p[1]; }).join(" ") || "0s";
  };

  rr.formatTime = function (ms) {
    if (ms === null || ms === undefined) return "-";
    return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  };

  /* el("a", {href: x, class: "y"}, ["text", child]) with text only as text nodes. */
  rr.el = function (tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  };

  rr.clear = function (node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  };

  rr.runHref = function (base, id) {
    return base + encodeURIComponent(id) + ".html";
  };

  /* ---------------------------------------------------------------- charts */

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  rr.chartConfig = function () {
    var text = cssVar("--text") || "#1b2430";
    var grid = cssVar("--border") || "#d5dbe3";
    var muted = cssVar("--muted") || "#5b6878";
    return {
      background: null,
      view: { stroke: null },
      font: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
      axis: { labelColor: muted, titleColor: text, gridColor: grid, domainColor: grid, tickColor: grid },
      legend: { labelColor: muted, titleColor: text },
      title: { color: text, anchor: "start", fontSize: 13, fontWeight: 600 },
    };
  };

  /* Draw a spec (from the page data) with these rows into el; resolves when drawn. */
  rr.draw = function (el, spec, rows) {
    if (typeof window.vegaEmbed !== "function") return Promise.resolve(null);
    var full = JSON.parse(JSON.stringify(spec));
    full.data = { values: rows };
    var options = {
      actions: false,
      renderer: rows.length > 3000 ? "canvas" : "svg",
      config: rr.chartConfig(),
      tooltip: true,
    };
    el.setAttribute("data-drawn", "pending");
    return window.vegaEmbed(el, full, options).then(
      function (result) {
        el.setAttribute("data-drawn", "true");
        return result;
      },
      function (error) {
        el.setAttribute("data-drawn", "error");
        el.textContent = "This chart could not be drawn: " + error;
        return null;
      }
    );
  };

  /* Call draw(el) when el scrolls near the viewport, so charts below the fold cost nothing
     until they are looked at. */
  rr.whenVisible = function (elements, draw) {
    if (typeof IntersectionObserver !== "function") {
      elements.forEach(draw);
      return;
    }
    var observer = new IntersectionObserver(
      function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) return;
          observer.unobserve(entry.target);
          draw(entry.target);
        });
      },
      { rootMargin: "300px" }
    );
    elements.forEach(function (el) { observer.observe(el); });
  };

  /* Rows of the parallel-coordinates chart: one per run and axis, each axis scaled to 0..1.
     runs: [{id, name}], axes: [{label, value(run)}] where value returns a number or text. */
  rr.parallelRows = function (runs, axes) {
    var rows = [];
    axes.forEach(function (axis, order) {
      var values = runs.map(function (run) { return axis.value(run); });
      var numbers = values.filter(function (v) { return typeof v === "number" && Number.isFinite(v); });
      var texts = values.filter(function (v) { return typeof v === "string"; });
      var categorical = texts.length > 0;
      var categories = categorical ? Array.from(new Set(texts)).sort() : [];
      var low = Math.min.apply(null, numbers.length ? numbers : [0]);
      var high = Math.max.apply(null, numbers.length ? numbers : [1]);
      runs.forEach(function (run, index) {
        var value = values[index];
        var norm;
        if (categorical) {
          if (typeof value !== "string") return;
          norm = categories.length > 1 ? categories.indexOf(value) / (categories.length - 1) : 0.5;
        } else {
          if (typeof value !== "number" || !Number.isFinite(value)) return;
          norm = high > low ? (value - low) / (high - low) : 0.5;
        }
        rows.push({
          run: run.id,
          name: run.name,
          axis: axis.label,
          order: order,
          value: categorical ? value : rr.formatNumber(value),
          norm: norm,
        });
      });
    });
    return rows;
  };

  rr.markReady = function () {
    window.__runreportReady = performance.now();
    document.body.setAttribute("data-ready", "true");
  };

  /* Pages with a script of their own mark themselves ready; the others are ready when parsed. */
  var SCRIPTED = { experiment: true, run: true, compare: true };
  if (!SCRIPTED[document.body.getAttribute("data-page")]) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", rr.markReady);
    else rr.markReady();
  }
})();
