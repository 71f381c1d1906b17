// Inline SVG charts for the self-contained HTML report (no scripts, no external assets).

export interface CurveSeries {
  label: string;
  colour: string;
  x: number[];
  y: number[];
}

const W = 360;
const H = 300;
const PAD = { left: 46, right: 12, top: 12, bottom: 40 };
const plotW = W - PAD.left - PAD.right;
const plotH = H - PAD.top - PAD.bottom;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const fmt = (v: number): string => (Math.round(v * 100) / 100).toString();

function frame(xLabel: string, yLabel: string, xTicks: Array<[number, string]>, yTicks: Array<[number, string]>): string {
  const parts = [`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="#fff" stroke="#999"/>`];
  for (const [t, text] of xTicks) {
    const x = PAD.left + t * plotW;
    parts.push(`<line x1="${fmt(x)}" y1="${PAD.top + plotH}" x2="${fmt(x)}" y2="${PAD.top + plotH + 4}" stroke="#999"/>`);
    parts.push(`<text x="${fmt(x)}" y="${PAD.top + plotH + 16}" font-size="10" text-anchor="middle">${escapeXml(text)}</text>`);
  }
  for (const [t, text] of yTicks) {
    const y = PAD.top + (1 - t) * plotH;
    parts.push(`<line x1="${PAD.left - 4}" y1="${fmt(y)}" x2="${PAD.left}" y2="${fmt(y)}" stroke="#999"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${fmt(y + 3)}" font-size="10" text-anchor="end">${escapeXml(text)}</text>`);
  }
  parts.push(`<text x="${PAD.left + plotW / 2}" y="${H - 6}" font-size="11" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  parts.push(
    `<text x="12" y="${PAD.top + plotH / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${PAD.top + plotH / 2})">${escapeXml(yLabel)}</text>`,
  );
  return parts.join('');
}

function legend(series: Array<{ label: string; colour: string }>): string {
  return series
    .map(
      (s, i) =>
        `<rect x="${PAD.left + 8}" y="${PAD.top + 8 + i * 16}" width="10" height="10" fill="${s.colour}"/>` +
        `<text x="${PAD.left + 22}" y="${PAD.top + 17 + i * 16}" font-size="11">${escapeXml(s.label)}</text>`,
    )
    .join('');
}

const unitTicks: Array<[number, string]> = [0, 0.25, 0.5, 0.75, 1].map((t) => [t, String(t)]);

/** ROC curves on the unit square, with the chance diagonal. */
export function rocSvg(title: string, series: CurveSeries[]): string {
  const lines = series.map((s) => {
    const points = s.x.map((x, i) => `${fmt(PAD.left + x * plotW)},${fmt(PAD.top + (1 - s.y[i]) * plotH)}`).join(' ');
    return `<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${points}"/>`;
  });
  const diagonal = `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${PAD.left + plotW}" y2="${PAD.top}" stroke="#ccc" stroke-dasharray="4 3"/>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${escapeXml(title)}">` +
    frame('false positive rate', 'true positive rate', unitTicks, unitTicks) +
    diagonal +
    lines.join('') +
    legend(series.map((s) => ({ label: s.label, colour: s.colour }))) +
    '</svg>'
  );
}

/** Overlaid histograms of two score populations on shared bins, with an optional threshold marker. */
export function histogramSvg(good: number[], defective: number[], threshold: number | null, bins = 40): string {
  const all = [...good, ...defective];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const span = hi - lo || 1;
  const count = (values: number[]): number[] => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / span) * bins))]++;
    // Densities, so the small class stays visible beside the large one.
    return counts.map((c) => c / Math.max(1, values.length));
  };
  const goodD = count(good);
  const defD = count(defective);
  const top = Math.max(...goodD, ...defD) || 1;
  const barW = plotW / bins;
  const bars = (d: number[], colour: string): string =>
    d
      .map((v, i) => {
        const h = (v / top) * plotH;
        return `<rect x="${fmt(PAD.left + i * barW)}" y="${fmt(PAD.top + plotH - h)}" width="${fmt(barW)}" height="${fmt(h)}" fill="${colour}" fill-opacity="0.55"/>`;
      })
      .join('');
  const xTicks: Array<[number, string]> = [0, 0.5, 1].map((t) => [t, (lo + t * span).toPrecision(3)]);
  let marker = '';
  if (threshold !== null && Number.isFinite(threshold)) {
    const x = PAD.left + ((threshold - lo) / span) * plotW;
    marker = `<line x1="${fmt(x)}" y1="${PAD.top}" x2="${fmt(x)}" y2="${PAD.top + plotH}" stroke="#333" stroke-dasharray="3 3"/>`;
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="score histograms">` +
    frame('image score', 'density (per class)', xTicks, []) +
    bars(goodD, '#2a9d4b') +
    bars(defD, '#d1495b') +
    marker +
    legend([
      { label: `good (${good.length})`, colour: '#2a9d4b' },
      { label: `defective (${defective.length})`, colour: '#d1495b' },
    ]) +
    '</svg>'
  );
}
