/** One line of a chart: points with positive x and y (others are left out). */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** One plot; every panel of a chart shares the same axes. */
export interface ChartPanel {
  readonly title: string;
  readonly series: readonly ChartSeries[];
}

export interface ChartSpec {
  readonly title: string;
  /** A second line under the title (machine, date, how measured). */
  readonly subtitle: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Tick label of an x value (the ticks are the x values of the points). */
  readonly formatX: (x: number) => string;
  /** Tick label of a y value (the ticks are powers of ten, with 2 and 5 between). */
  readonly formatY: (y: number) => string;
  readonly panels: readonly ChartPanel[];
}

/** Line colours and dashes by series name; others get the fallback palette in order. */
const STYLES: Readonly<Record<string, { readonly color: string; readonly dash?: string; readonly width?: number }>> = {
  '@ipcm': { color: '#d62728', width: 3 },
  bare: { color: '#222222', dash: '6 4' },
  'bare+cork': { color: '#7f7f7f', dash: '2 3' },
  'node-ipc': { color: '#1f77b4' },
  zeromq: { color: '#2ca02c' },
};
const FALLBACK = ['#9467bd', '#8c564b', '#e377c2', '#17becf'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();

/**
 * Renders line charts with logarithmic x and y axes, panels side by side,
 * as standalone SVG text (no script, no external font or stylesheet), so it
 * shows in a browser, on GitHub and in rsvg-convert alike.
 */
export function renderLogLogChart(spec: ChartSpec): string {
  const panelWidth = 440;
  const panelHeight = 330;
  const margin = { left: 78, right: 18, top: 78, bottom: 118 };
  const gap = 64;
  const width = margin.left + spec.panels.length * panelWidth + (spec.panels.length - 1) * gap + margin.right;
  const height = margin.top + panelHeight + margin.bottom;

  const all = spec.panels.flatMap((p) => p.series.flatMap((s) => s.points)).filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = [...new Set(all.map((p) => p.x))].sort((a, b) => a - b);
  const xMin = Math.log10(xs[0] ?? 1);
  const xMax = Math.log10(xs[xs.length - 1] ?? 10);
  const yMin = Math.floor(Math.log10(Math.min(...all.map((p) => p.y), 1e12)));
  const yMax = Math.ceil(Math.log10(Math.max(...all.map((p) => p.y), 1)));
  const xSpan = Math.max(xMax - xMin, 1e-9);
  const ySpan = Math.max(yMax - yMin, 1);
  // A little air left and right of the first and last sizes.
  const padX = 16;
  const px = (x: number): number => padX + ((Math.log10(x) - xMin) / xSpan) * (panelWidth - 2 * padX);
  const py = (y: number): number => panelHeight - ((Math.log10(y) - yMin) / ySpan) * panelHeight;

  const names = [...new Set(spec.panels.flatMap((p) => p.series.map((s) => s.name)))];
  const style = (name: string): { color: string; dash?: string; width?: number } =>
    STYLES[name] ?? { color: FALLBACK[names.indexOf(name) % FALLBACK.length] as string };

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="26" text-anchor="middle" font-size="17" font-weight="bold">${escapeXml(spec.title)}</text>`);
  out.push(`<text x="${width / 2}" y="46" text-anchor="middle" font-size="12" fill="#555555">${escapeXml(spec.subtitle)}</text>`);

  spec.panels.forEach((panel, i) => {
    const ox = margin.left + i * (panelWidth + gap);
    const oy = margin.top;
    out.push(`<g transform="translate(${ox},${oy})">`);
    out.push(`<text x="${panelWidth / 2}" y="-10" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`);
    // Horizontal grid: decades, with 2 and 5 between them.
    for (let d = yMin; d <= yMax; d++) {
      for (const m of [1, 2, 5]) {
        const y = m * 10 ** d;
        if (Math.log10(y) > yMax + 1e-9) continue;
        const yy = fmt(py(y));
        out.push(`<line x1="0" y1="${yy}" x2="${panelWidth}" y2="${yy}" stroke="${m === 1 ? '#cccccc' : '#eeeeee'}" stroke-width="1"/>`);
        if (i === 0 || m === 1) {
          out.push(`<text x="-6" y="${yy}" dy="4" text-anchor="end" fill="${m === 1 ? '#000000' : '#777777'}" font-size="${m === 1 ? 12 : 10}">${escapeXml(spec.formatY(y))}</text>`);
        }
      }
    }
    // Vertical grid and ticks at each measured size.
    for (const x of xs) {
      const xx = fmt(px(x));
      out.push(`<line x1="${xx}" y1="0" x2="${xx}" y2="${panelHeight}" stroke="#eeeeee" stroke-width="1"/>`);
      out.push(`<text x="${xx}" y="${panelHeight + 18}" text-anchor="middle">${escapeXml(spec.formatX(x))}</text>`);
    }
    out.push(`<rect x="0" y="0" width="${panelWidth}" height="${panelHeight}" fill="none" stroke="#333333" stroke-width="1"/>`);
    out.push(`<text x="${panelWidth / 2}" y="${panelHeight + 40}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
    if (i === 0) {
      out.push(
        `<text transform="translate(${-margin.left + 18},${panelHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
      );
    }
    for (const series of panel.series) {
      const points = series.points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.x) && Number.isFinite(p.y));
      if (points.length === 0) continue;
      const s = style(series.name);
      const path = points.map((p) => `${fmt(px(p.x))},${fmt(py(p.y))}`).join(' ');
      out.push(
        `<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}"${s.dash === undefined ? '' : ` stroke-dasharray="${s.dash}"`} stroke-linejoin="round"/>`,
      );
      for (const p of points) out.push(`<circle cx="${fmt(px(p.x))}" cy="${fmt(py(p.y))}" r="3.5" fill="${s.color}"/>`);
    }
    out.push('</g>');
  });

  // Legend, centred under the panels.
  const itemWidth = 130;
  const legendX = width / 2 - (names.length * itemWidth) / 2;
  const legendY = margin.top + panelHeight + 78;
  names.forEach((name, i) => {
    const s = style(name);
    const x = legendX + i * itemWidth;
    out.push(
      `<line x1="${fmt(x)}" y1="${legendY}" x2="${fmt(x + 30)}" y2="${legendY}" stroke="${s.color}" stroke-width="${s.width ?? 2}"${s.dash === undefined ? '' : ` stroke-dasharray="${s.dash}"`}/>`,
    );
    out.push(`<circle cx="${fmt(x + 15)}" cy="${legendY}" r="3.5" fill="${s.color}"/>`);
    out.push(`<text x="${fmt(x + 38)}" y="${legendY + 4}">${escapeXml(name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
