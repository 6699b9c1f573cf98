/* FAB's direct charts (the user statistics) with Chart.js: one bar per row of FAB's Google DataTable
 * ({cols: [{label}], rows: [{c: [{v}]}]}), the first column naming the bar, the others its series.
 * Data and translated labels come from the <script type="application/json"> block beside the canvas. */
(function () {
  "use strict";
  var colors = ["#64b5f6", "#ef9a9a", "#a5d6a7", "#ffe082"];
  document.querySelectorAll("script.fab-direct-chart-data").forEach(function (node) {
    var page = JSON.parse(node.textContent);
    var canvas = document.getElementById(page.canvas);
    if (!canvas || canvas.dataset.drawn) { return; }
    canvas.dataset.drawn = "1";
    var cols = page.table.cols || [], rows = page.table.rows || [];
    var cell = function (row, i) { return row.c[i] ? row.c[i].v : null; };
    var datasets = cols.slice(1).map(function (col, n) {
      return {label: col.label, backgroundColor: colors[n % colors.length],
              data: rows.map(function (row) { return cell(row, n + 1) || 0; })};
    });
    new Chart(canvas, {
      type: "bar",
      data: {labels: rows.map(function (row) { return cell(row, 0); }), datasets: datasets},
      options: {maintainAspectRatio: false, locale: document.documentElement.lang || undefined,
                plugins: {title: {display: !!page.title, text: page.title}},
                scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}
    });
  });
})();
