/* Planning pages: the capacity charts, the forecast chart, the Run plan progress bar.
 * Data and translated labels come from <script type="application/json"> blocks of the page. */
(function () {
  "use strict";
  function json(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var capacity = json("capacity-data");
  if (capacity) {
    document.querySelectorAll("canvas.capacity-chart").forEach(function (canvas) {
      var c = capacity.charts[Number(canvas.getAttribute("data-index"))];
      new Chart(canvas, {
        data: {labels: c.weeks, datasets: [
          {type: "bar", label: capacity.labels.load, data: c.load.map(Number),
           backgroundColor: c.over.map(function (o) { return o ? "#d9534f" : "#5bc0de"; }), order: 1},
          {type: "line", label: capacity.labels.capacity, data: c.capacity.map(Number), borderColor: "#333",
           pointRadius: 0, stepped: true, order: 0}]},
        options: {responsive: true, maintainAspectRatio: false, animation: false, locale: capacity.locale,
                  scales: {y: {beginAtZero: true}}}
      });
    });
  }
  var forecast = json("forecast-data");
  if (forecast && document.getElementById("forecast-chart")) {
    new Chart(document.getElementById("forecast-chart"), {
      type: "line",
      data: {labels: forecast.chart.labels, datasets: forecast.chart.datasets.map(function (d) {
        return {label: d.label, data: d.data.map(function (v) { return v === null ? null : Number(v); }),
                borderColor: d.color, backgroundColor: d.color, borderDash: d.dash ? [6, 4] : [], spanGaps: false};
      })},
      options: {responsive: true, maintainAspectRatio: false, animation: false, locale: forecast.locale}
    });
  }
  var form = document.getElementById("plan-run-form");
  if (form) {
    form.addEventListener("submit", function () {
      var bar = document.getElementById("plan-bar");
      var url = document.getElementById("plan-progress").getAttribute("data-url");
      bar.style.display = "block";
      var timer = setInterval(function () {
        fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
          bar.firstElementChild.style.width = Math.max(5, d.progress) + "%";
          if (d.state !== "running") { clearInterval(timer); }
        }).catch(function () { clearInterval(timer); });
      }, 500);
    });
  }
})();
