// A Chart.js chart with what assistive technology needs: the canvas is an image named by its
// title, and the same figures are one click away as a table (the fallback). Only the pieces
// the dashboard draws are registered, so the bundle carries nothing else. A "triangle" is a
// heat map (a cohort triangle) drawn with Chart.js's own bar chart: one floating bar per cell,
// its shade the value (0 to 1); a cell whose value is NaN is not drawn.

import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart as ChartJs,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from "chart.js";
import { useEffect, useRef } from "react";

import { useI18n } from "../i18n";

ChartJs.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

export interface Series {
  label: string;
  values: number[];
}

export interface ChartProps {
  kind: "bar" | "stacked" | "line" | "doughnut" | "triangle";
  title: string;
  /** The categories (a triangle's rows). */
  labels: string[];
  /** One per dataset (a triangle's columns). */
  series: Series[];
  format?: (value: number) => string;
  /** A triangle's tooltip for the cell (row, column); the formatted value by default. */
  describe?: (row: number, column: number) => string;
}

const COLORS = ["#2c6ecb", "#e4a73c", "#45a17a", "#b5446e", "#7a5cc2", "#5b6770"];

// A cell of the triangle is a floating bar from row − ½ to row + ½ in its column's category.
type Span = [number, number] | null;

function triangle({ labels, series, format, describe }: ChartProps): ChartConfiguration {
  const shade = (value: number | undefined) =>
    `rgba(44, 110, 203, ${0.08 + 0.92 * Math.min(1, Math.max(0, value ?? 0))})`;
  const present = (value: number | undefined) => value !== undefined && !Number.isNaN(value);
  // Ticks on whole rows only, named by the row.
  const rows = {
    type: "linear" as const,
    reverse: true,
    min: -0.5,
    max: labels.length - 0.5,
    grid: { display: false },
    afterBuildTicks: (axis: { ticks: { value: number }[] }) => {
      axis.ticks = labels.map((_, row) => ({ value: row }));
    },
    ticks: { autoSkip: false, callback: (value: string | number) => labels[Number(value)] ?? "" },
  };
  const bars: ChartConfiguration<"bar", Span[], string> = {
    type: "bar",
    data: {
      labels: series.map((s) => s.label),
      datasets: labels.map((label, row) => ({
        label,
        data: series.map((s) => (present(s.values[row]) ? [row - 0.48, row + 0.48] : null)),
        backgroundColor: series.map((s) => shade(s.values[row])),
        grouped: false,
        barPercentage: 0.97,
        categoryPercentage: 1,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: () => "",
            label: (item) => {
              const value = series[item.dataIndex]?.values[item.datasetIndex] ?? NaN;
              return describe ? describe(item.datasetIndex, item.dataIndex) : (format ?? String)(value);
            },
          },
        },
      },
      scales: { x: { position: "top", grid: { display: false } }, y: rows },
    },
  };
  // The one chart whose options are typed for its own kind: the constructor takes any kind.
  return bars as unknown as ChartConfiguration;
}

function config(props: ChartProps): ChartConfiguration {
  const { kind, labels, series } = props;
  if (kind === "triangle") return triangle(props);
  const stacked = kind === "stacked";
  const type = kind === "stacked" ? "bar" : kind;
  return {
    type,
    data: {
      labels,
      datasets: series.map((s, i) => ({
        label: s.label,
        data: s.values,
        backgroundColor: kind === "doughnut" ? labels.map((_, j) => COLORS[j % COLORS.length]) : COLORS[i % COLORS.length],
        borderColor: kind === "line" ? COLORS[i % COLORS.length] : undefined,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: series.length > 1 || kind === "doughnut" } },
      scales:
        kind === "doughnut"
          ? {}
          : { x: { stacked }, y: { stacked, beginAtZero: true } },
    },
  };
}

export function Chart(props: ChartProps) {
  const { t } = useI18n();
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new ChartJs(canvas.current, config(props));
    return () => chart.destroy();
  }, [props]);
  const format = props.format ?? ((value: number) => String(value));
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      <div className={props.kind === "triangle" ? "chart-canvas chart-tall" : "chart-canvas"}>
        <canvas ref={canvas} role="img" aria-label={props.title} />
      </div>
      <details>
        <summary>{t("kpis.asTable")}</summary>
        <s-table>
          <s-table-header-row>
            <s-table-header />
            {props.series.map((s) => (
              <s-table-header key={s.label}>{s.label}</s-table-header>
            ))}
          </s-table-header-row>
          <s-table-body>
            {props.labels.map((label, row) => (
              <s-table-row key={label}>
                <s-table-cell>{label}</s-table-cell>
                {props.series.map((s) => (
                  <s-table-cell key={s.label}>
                    {Number.isNaN(s.values[row] ?? 0) ? "" : format(s.values[row] ?? 0)}
                  </s-table-cell>
                ))}
              </s-table-row>
            ))}
          </s-table-body>
        </s-table>
      </details>
    </figure>
  );
}
