/* Draws the dashboard's charts from the figures the page carries (json_script
   "dashboard-data"). The tables in the page stay the truth; the charts only picture them. */
(function () {
  "use strict";
  function start() {
    var node = document.getElementById("dashboard-data");
    if (!node || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(node.textContent);
    var Chart = window.Chart;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#1b1f24";
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (reduce) { Chart.defaults.animation = false; }
    var common = { responsive: true, maintainAspectRatio: false };

    function draw(id, config) {
      var canvas = document.getElementById(id);
      if (canvas) { new Chart(canvas, config); }
    }
    function bar(id, d, colour, horizontal) {
      draw(id, {
        type: "bar",
        data: { labels: d.labels, datasets: [{ data: d.values, backgroundColor: colour, maxBarThickness: 28 }] },
        options: Object.assign({}, common, {
          indexAxis: horizontal ? "y" : "x",
          plugins: { legend: { display: false } },
          scales: horizontal ? { x: { beginAtZero: true, ticks: { precision: 0 } } }
                             : { y: { beginAtZero: true, ticks: { precision: 0 } } }
        })
      });
    }

    bar("chart-channels", data.channels, data.colours[0], true);
    bar("chart-states", data.states, data.colours[0], true);
    draw("chart-departments", {
      type: "bar",
      data: {
        labels: data.departments.labels,
        datasets: data.departments.series.map(function (s) {
          return { label: s.name, data: s.values, backgroundColor: s.colour, maxBarThickness: 28 };
        })
      },
      options: Object.assign({}, common, {
        indexAxis: "y",
        scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } }
      })
    });
    draw("chart-satisfaction", {
      type: "doughnut",
      data: { labels: data.satisfaction.labels,
              datasets: [{ data: data.satisfaction.values, backgroundColor: data.satisfaction.colours }] },
      options: common
    });
    draw("chart-trend", {
      type: "line",
      data: { labels: data.trend.labels,
              datasets: [{ label: data.trend.name, data: data.trend.values, borderColor: data.colours[0],
                           backgroundColor: "rgba(11, 92, 173, 0.15)", fill: true, tension: 0 }] },
      options: Object.assign({}, common, {
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      })
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
