/* The KPI dashboard's charts: trend sparklines per tile, monthly series, the funnel.
   Data comes from <script type="application/json" id="kpi-dashboard-data"> (no inline code: CSP).
   Numbers are formatted in the page's locale with Intl.NumberFormat; the page itself shows the exact
   figures, the charts only draw them. Each drawn canvas gets data-drawn="1" (the browser test reads it). */
(function () {
  "use strict";
  var source = document.getElementById("kpi-dashboard-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var number = new Intl.NumberFormat(data.locale, {maximumFractionDigits: 2});
  var done = function (canvas) { canvas.setAttribute("data-drawn", "1"); };

  document.querySelectorAll("canvas.kpi-trend").forEach(function (canvas) {
    var series = data.tiles[canvas.getAttribute("data-key")];
    if (!series || !series.values.length) {
      return;
    }
    new Chart(canvas, {
      type: "line",
      data: {labels: series.labels, datasets: [{data: series.values, borderColor: "#1565c0", pointRadius: 1.5,
                                                 borderWidth: 1.5, fill: false, spanGaps: true}]},
      options: {animation: false, maintainAspectRatio: false, locale: data.locale,
                plugins: {legend: {display: false},
                          tooltip: {callbacks: {label: function (c) { return number.format(c.parsed.y); }}}},
                scales: {x: {display: false}, y: {display: false}}}
    });
    done(canvas);
  });

  document.querySelectorAll("canvas.kpi-series").forEach(function (canvas) {
    var series = data.series[canvas.getAttribute("data-key")];
    if (!series) {
      return;
    }
    new Chart(canvas, {
      type: "bar",
      data: {labels: series.labels, datasets: [{label: series.label, data: series.values, backgroundColor: "#90caf9"}]},
      options: {animation: false, maintainAspectRatio: false, locale: data.locale,
                plugins: {legend: {display: false}},
                scales: {y: {beginAtZero: true, ticks: {callback: function (v) { return number.format(v); }}}}}
    });
    done(canvas);
  });

  var funnel = document.getElementById("kpi-funnel");
  if (funnel && data.funnel) {
    new Chart(funnel, {
      type: "bar",
      data: {labels: data.funnel.labels, datasets: [{label: data.funnel.title, data: data.funnel.reached,
                                                     backgroundColor: "#a5d6a7"}]},
      options: {animation: false, maintainAspectRatio: false, indexAxis: "y", locale: data.locale,
                plugins: {legend: {display: false}}, scales: {x: {beginAtZero: true, ticks: {precision: 0}}}}
    });
    done(funnel);
  }
})();
