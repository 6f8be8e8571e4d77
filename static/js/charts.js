// Draws each <canvas data-chart="ID"> from the JSON block with that id (Django's json_script filter):
// the data never passes through an inline script, so the strict Content-Security-Policy holds.
(function () {
  "use strict";
  const styles = getComputedStyle(document.documentElement);
  const brand = styles.getPropertyValue("--brand").trim() || "#0f766e";
  const muted = styles.getPropertyValue("--muted").trim() || "#5b6470";
  const quiet = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") {
      return;
    }
    const data = JSON.parse(source.textContent);
    const line = canvas.dataset.chartType === "line";
    new Chart(canvas, {
      type: canvas.dataset.chartType || "bar",
      data: {
        labels: data.labels,
        datasets: [{
          label: canvas.dataset.label,
          data: data.values,
          backgroundColor: line ? "rgba(15, 118, 110, 0.15)" : brand,
          borderColor: brand,
          borderWidth: line ? 2 : 0,
          borderRadius: line ? 0 : 4,
          fill: line,
          tension: 0.3,
          pointRadius: line ? 3 : 0,
        }],
      },
      options: {
        indexAxis: canvas.dataset.horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: quiet ? false : { duration: 400 },
        plugins: { legend: { display: false } },
        scales: {
          x: { beginAtZero: true, ticks: { color: muted, maxRotation: 0, autoSkip: true }, grid: { display: false } },
          y: { beginAtZero: true, ticks: { color: muted }, grid: { color: "#eef0f3" } },
        },
      },
    });
  });
})();
