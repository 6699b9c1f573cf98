/* The funnel chart (crm_funnel.html): stages reached, in the stage now, conversion and amounts.
 * Data and translated labels come from the page's <script type="application/json" id="funnel-data">. */
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("funnel-data").textContent);
  var data = page.chart, labels = page.labels;
  var colors = ["#1565c0", "#2e7d32", "#f9a825", "#6a1b9a"];
  var datasets = [
    {type: "bar", label: labels.reached, data: data.reached, backgroundColor: "#90caf9", yAxisID: "y"},
    {type: "bar", label: labels.now, data: data.now, backgroundColor: "#cfd8dc", yAxisID: "y"},
    {type: "line", label: labels.conversion, data: data.conversion, borderColor: "#c62828", yAxisID: "pct",
     spanGaps: false}
  ];
  Object.keys(data.amounts).forEach(function (code, i) {
    datasets.push({type: "line", label: labels.amount + " " + code, data: data.amounts[code],
                   borderColor: colors[i % colors.length], borderDash: [4, 3], yAxisID: "amount"});
  });
  new Chart(document.getElementById("funnel-chart"), {
    data: {labels: data.labels, datasets: datasets},
    options: {maintainAspectRatio: false, locale: page.locale, scales: {
      y: {beginAtZero: true, position: "left", ticks: {precision: 0}},
      pct: {beginAtZero: true, max: 100, position: "right", grid: {drawOnChartArea: false}},
      amount: {beginAtZero: true, position: "right", grid: {drawOnChartArea: false}}
    }}
  });
})();
