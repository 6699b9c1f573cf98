/* The funnel chart (crm_funnel.html; data from app/views/crm_funnel.py): one horizontal bar per stage,
 * the amount of the deals that reached it in the base currency, on one money axis. Each bar carries
 * its deal count and conversion to the next stage as text; the title names the currency and rates.
 * Data and translated texts come from the page's <script type="application/json" id="funnel-data">. */
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("funnel-data").textContent);
  var data = page.chart;
  var money = new Intl.NumberFormat(page.locale, {maximumFractionDigits: 0});

  // Writes "amount · N deals · x % go on" after each bar (no plugin needed for one line of text).
  var barNotes = {
    id: "barNotes",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, meta = chart.getDatasetMeta(0);
      ctx.save();
      ctx.font = "12px sans-serif";
      ctx.fillStyle = "#333";
      ctx.textBaseline = "middle";
      meta.data.forEach(function (bar, i) {
        var text = money.format(data.amounts[i]) + " " + data.currency + " · " + data.notes[i];
        var x = bar.x + 6, width = ctx.measureText(text).width;
        if (x + width > chart.chartArea.right) {
          x = Math.max(chart.chartArea.left + 6, bar.x - width - 6);
          ctx.fillStyle = "#fff";
        }
        ctx.fillText(text, x, bar.y);
        ctx.fillStyle = "#333";
      });
      ctx.restore();
    }
  };

  new Chart(document.getElementById("funnel-chart"), {
    type: "bar",
    data: {labels: data.labels, datasets: [{
      label: data.axis,
      data: data.amounts,
      backgroundColor: data.lost.map(function (lost) { return lost ? "#cfd8dc" : "#64b5f6"; }),
      borderRadius: 3,
      barPercentage: 0.8
    }]},
    plugins: [barNotes],
    options: {
      indexAxis: "y",
      maintainAspectRatio: false,
      locale: page.locale,
      layout: {padding: {right: 16}},
      plugins: {
        legend: {display: false},
        title: {display: true, text: data.title, align: "start", font: {size: 14}},
        subtitle: {display: !!data.subtitle, text: data.subtitle, align: "start", color: "#c62828"},
        tooltip: {callbacks: {
          label: function (item) { return money.format(item.raw) + " " + data.currency; },
          afterLabel: function (item) { return data.notes[item.dataIndex]; }
        }}
      },
      scales: {
        x: {beginAtZero: true, grace: "25%", title: {display: true, text: data.axis},
            ticks: {callback: function (value) { return money.format(value); }}},
        y: {grid: {display: false}}
      }
    }
  });
})();
