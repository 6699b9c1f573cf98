/* The Pareto chart of the ABC analysis (purchasing_abc.html): values coloured by class and the
 * cumulative share. Data and translated labels come from <script type="application/json" id="pareto-data">. */
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("pareto-data").textContent);
  var data = page.chart;
  var colours = {A: "#3c763d", B: "#f0ad4e", C: "#a94442"};
  new Chart(document.getElementById("pareto"), {
    data: {
      labels: data.labels,
      datasets: [
        {type: "bar", label: page.labels.values, data: data.values.map(Number),
         backgroundColor: data.classes.map(function (k) { return colours[k]; }), yAxisID: "y", order: 1},
        {type: "line", label: page.labels.cumulative, data: data.cumulative.map(Number),
         borderColor: "#31708f", pointRadius: 0, yAxisID: "y1", order: 0}
      ]
    },
    options: {responsive: true, maintainAspectRatio: false, animation: false, locale: page.locale,
      scales: {y: {beginAtZero: true, position: "left"},
               y1: {min: 0, max: 100, position: "right", grid: {drawOnChartArea: false}}}}
  });
})();
