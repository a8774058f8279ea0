/** A small SVG line chart (no chart library): series of (x, y) points with axes and labels. */
export interface Series {
  name: string;
  points: [number, number][];
  className?: string;
}

export function LineChart({ series, width = 520, height = 200, yMax, yLabel, xLabel, testId }: { series: Series[]; width?: number; height?: number; yMax?: number; yLabel?: string; xLabel?: string; testId?: string }) {
  const pad = { l: 44, r: 10, t: 10, b: 28 };
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const xMin = Math.min(xMax - 1, ...all.map((p) => p[0]), 0);
  const top = yMax ?? Math.max(1e-6, ...all.map((p) => p[1])) * 1.05;
  const sx = (x: number) => pad.l + ((x - xMin) / (xMax - xMin || 1)) * (width - pad.l - pad.r);
  const sy = (y: number) => height - pad.b - (Math.max(0, Math.min(top, y)) / top) * (height - pad.t - pad.b);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  return (
    <svg className="chart" width={width} height={height} role="img" aria-label={yLabel} data-testid={testId}>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={pad.l} x2={width - pad.r} y1={sy(t)} y2={sy(t)} className="grid" />
          <text x={pad.l - 6} y={sy(t) + 4} textAnchor="end" className="tick">
            {t >= 10 ? t.toFixed(0) : t.toFixed(2)}
          </text>
        </g>
      ))}
      <text x={width - pad.r} y={height - 6} textAnchor="end" className="tick">
        {xLabel ?? ''} {xMax}
      </text>
      {series.map((s) => (
        <polyline key={s.name} className={`line ${s.className ?? ''}`} fill="none" points={s.points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ')}>
          <title>{s.name}</title>
        </polyline>
      ))}
      <g className="legend-g">
        {series.map((s, i) => (
          <text key={s.name} x={pad.l + 6 + i * 110} y={pad.t + 12} className={`legend-text ${s.className ?? ''}`}>
            ■ {s.name}
          </text>
        ))}
      </g>
    </svg>
  );
}
