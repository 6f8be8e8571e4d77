"""The shape of a chart the dashboards draw, shared by the apps' selectors."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Series:
    """One chart: labels on the x axis and one value per label (the shape Chart.js takes).

    `series`, when set, splits the values into named lines (one per exercise type): each has a value
    per label, None where it has no point, and the chart draws one line per series.
    """

    labels: list[str]
    values: list[float]
    series: dict[str, list[float | None]] | None = None

    def as_chart_data(self) -> dict[str, list]:
        data: dict[str, list] = {"labels": self.labels, "values": self.values}
        if self.series is not None:
            data["series"] = [{"label": name, "values": values} for name, values in self.series.items()]
        return data
