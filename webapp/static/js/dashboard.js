// Quadre de comandament: draws the charts from the JSON data block (the tables carry the same figures).
(function () {
  "use strict";
  var block = document.getElementById("dashboard-data");
  if (!block || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var colours = ["#1f4e79", "#b35900", "#2e7d32", "#6a1b9a"];

  function datasets(series) {
    return series.map(function (s, i) {
      return { label: s.label, data: s.values, backgroundColor: colours[i % colours.length],
               borderColor: colours[i % colours.length] };
    });
  }

  function draw(id, chartData, type, stacked) {
    var canvas = document.getElementById(id);
    if (!canvas || !chartData.labels.length) { return; }
    new window.Chart(canvas, {
      type: type,
      data: { labels: chartData.labels, datasets: datasets(chartData.series) },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }

  draw("chart-flow", data.flow, "line", false);
  draw("chart-states", data.states, "bar", true);
})();
