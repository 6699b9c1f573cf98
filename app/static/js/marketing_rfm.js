/* The RFM chart (marketing_rfm.html): clients per RFM group, from <script id="rfm-data">. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("rfm-data").textContent);
  new Chart(document.getElementById("rfm-chart"), {
    type: "bar",
    data: {labels: data.labels, datasets: [{data: data.values, backgroundColor: "#64b5f6", borderRadius: 3}]},
    options: {maintainAspectRatio: false, plugins: {legend: {display: false}}, scales: {y: {beginAtZero: true}}}
  });
})();
