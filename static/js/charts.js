// Draws each <canvas data-chart="ID"> from the JSON block with that id (Django's json_script filter):
// the data never passes through an inline script, so the strict Content-Security-Policy holds.
(function () {
  "use strict";
  const styles = getComputedStyle(document.documentElement);
  const brand = styles.getPropertyValue("--brand").trim() || "#0f766e";
  const muted = styles.getPropertyValue("--muted").trim() || "#5b6470";
  // Series colours: the brand's teal first, then hues far enough apart to tell lines apart.
  const PALETTE = [brand, "#c2410c", "#1d4ed8", "#7c3aed", "#b91c1c", "#4d7c0f", "#0e7490", "#a16207"];
  const quiet = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") {
      return;
    }
    const data = JSON.parse(source.textContent);
    const line = canvas.dataset.chartType === "line";
    // `series` (one line per exercise type, null where a type has no point): one dataset each, with
    // a legend; otherwise the single `values` line or bars.
    const datasets = data.series
      ? data.series.map(function (series, index) {
        const colour = PALETTE[index % PALETTE.length];
        return {
          label: series.label,
          data: series.values,
          backgroundColor: colour,
          borderColor: colour,
          borderWidth: 2,
          fill: false,
          tension: 0.3,
          spanGaps: true,
          pointRadius: 3,
        };
      })
      : [{
        label: canvas.dataset.label,
        data: data.values,
        backgroundColor: line ? "rgba(15, 118, 110, 0.15)" : brand,
        borderColor: brand,
        borderWidth: line ? 2 : 0,
        borderRadius: line ? 0 : 4,
        fill: line,
        tension: 0.3,
        pointRadius: line ? 3 : 0,
      }];
    new Chart(canvas, {
      type: canvas.dataset.chartType || "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        indexAxis: canvas.dataset.horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: quiet ? false : { duration: 400 },
        plugins: {
          legend: { display: Boolean(data.series), position: "bottom", labels: { color: muted, boxWidth: 12 } },
        },
        scales: {
          x: { beginAtZero: true, ticks: { color: muted, maxRotation: 0, autoSkip: true }, grid: { display: false } },
          y: { beginAtZero: true, ticks: { color: muted }, grid: { color: "#eef0f3" } },
        },
      },
    });
  });
})();
