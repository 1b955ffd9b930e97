// A Chart.js chart with what assistive technology needs: the canvas is an image named by its
// title, and the same figures are one click away as a table (the fallback). Only the pieces
// the dashboard draws are registered, so the bundle carries nothing else.

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
  kind: "bar" | "stacked" | "line" | "doughnut";
  title: string;
  labels: string[];
  series: Series[];
  format?: (value: number) => string;
}

const COLORS = ["#2c6ecb", "#e4a73c", "#45a17a", "#b5446e", "#7a5cc2", "#5b6770"];

function config({ kind, labels, series }: ChartProps): ChartConfiguration {
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
      <div className="chart-canvas">
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
                  <s-table-cell key={s.label}>{format(s.values[row] ?? 0)}</s-table-cell>
                ))}
              </s-table-row>
            ))}
          </s-table-body>
        </s-table>
      </details>
    </figure>
  );
}
