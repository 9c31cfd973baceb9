/* runreport site: the run page's metric history charts, from the run's data file
   (window.runreportRunData[id]); the x-axis switches between step and wall-clock time. */
(function () {
  "use strict";
  var rr = window.runreport;
  var page = rr.pageData();
  var run = (window.runreportRunData || {})[page.run];

  function rows(key) {
    var h = run.history[key];
    var out = [];
    for (var i = 0; i < h.step.length; i++) {
      if (h.value[i] !== null) out.push({ step: h.step[i], time: h.time[i], value: h.value[i] });
    }
    return out;
  }

  function draw(mode) {
    var elements = page.metrics.map(function (m) { return document.getElementById(m.chart); }).filter(Boolean);
    var keys = {};
    page.metrics.forEach(function (m) { keys[m.chart] = m.key; });
    rr.whenVisible(elements, function (el) {
      var spec = JSON.parse(JSON.stringify(page.charts[mode]));
      spec.title = keys[el.id];
      rr.draw(el, spec, rows(keys[el.id]));
    });
  }

  if (run) {
    document.querySelectorAll('input[name="x-axis"]').forEach(function (input) {
      input.addEventListener("change", function () { if (input.checked) draw(input.value); });
    });
    draw("step");
  }
  rr.markReady();
})();
