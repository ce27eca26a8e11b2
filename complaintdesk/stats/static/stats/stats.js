/* Draws the statistics chart from the figures the page carries (json_script "stats-data"):
   stacked bars of rows × columns, or lines when the rows are periods. The table stays the truth. */
(function () {
  "use strict";
  function start() {
    var node = document.getElementById("stats-data");
    var canvas = document.getElementById("stats-chart");
    if (!node || !canvas || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(node.textContent);
    var Chart = window.Chart;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#1b1f24";
    if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      Chart.defaults.animation = false;
    }
    var line = data.type === "line";
    new Chart(canvas, {
      type: data.type,
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s) {
          return { label: s.name, data: s.values, backgroundColor: s.colour, borderColor: s.colour,
                   maxBarThickness: 28, fill: false, tension: 0 };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false,
        indexAxis: line ? "x" : "y",
        plugins: { legend: { display: data.series.length > 1, position: "bottom" } },
        scales: line ? { y: { beginAtZero: true, ticks: { precision: 0 } } }
                     : { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } }
      }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
