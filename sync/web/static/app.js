// hadir dashboard: draws the overview chart from the JSON the server embedded. SPDX-License-Identifier: MIT
(function () {
  var el = document.getElementById("chart-30d");
  var src = document.getElementById("chart-data");
  if (!el || !src || typeof Chart === "undefined") return;
  var data = JSON.parse(src.textContent);
  var palette = ["#0b6e69", "#e07a1f", "#3b6fb6", "#8e44ad", "#c0392b", "#7f8c8d"];
  var datasets = data.series.map(function (s, i) {
    return { label: s.label, data: s.values, backgroundColor: palette[i % palette.length],
             borderWidth: 0, stack: "taps" };
  });
  window.hadirChart = new Chart(el, {
    type: "bar",
    data: { labels: data.labels, datasets: datasets },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { x: { stacked: true, grid: { display: false },
                     ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 } },
                y: { stacked: true, beginAtZero: true,
                     ticks: { callback: function (v) { return v.toLocaleString(data.locale); } } } },
      plugins: { legend: { position: "bottom" },
                 tooltip: { callbacks: { label: function (c) {
                   return c.dataset.label + ": " + c.parsed.y.toLocaleString(data.locale); } } } }
    }
  });
})();
