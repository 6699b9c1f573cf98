/* The Pareto chart of defect causes (quality_analysis.html): bars per cause, the cumulative share as a
 * line. Data and translated labels come from <script type="application/json" id="pareto-data">. */
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("pareto-data").textContent);
  var data = page.chart;
  new Chart(document.getElementById("pareto"), {
    data: {
      labels: data.labels,
      datasets: [
        {type: "bar", label: page.labels.values, data: data.values.map(Number), backgroundColor: "#d9534f",
         yAxisID: "y", order: 1},
        {type: "line", label: page.labels.cumulative, data: data.cumulative.map(Number), borderColor: "#31708f",
         pointRadius: 3, yAxisID: "y1", order: 0}
      ]
    },
    options: {responsive: true, maintainAspectRatio: false, animation: false, locale: page.locale,
      scales: {y: {beginAtZero: true, position: "left"},
               y1: {min: 0, max: 100, position: "right", grid: {drawOnChartArea: false}}}}
  });
})();
