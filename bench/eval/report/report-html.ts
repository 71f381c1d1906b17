// The self-contained evaluation report: one HTML file with inline SVG charts and data-URL thumbnails.
import type { PerTypeOutcome } from '../evaluate';
import { CurveSeries, escapeXml, histogramSvg, rocSvg } from './svg-charts';

export interface CaseCard {
  title: string;
  subtitle: string;
  /** PNG data URL of the heatmap overlay. */
  overlay: string;
}

export interface ReportData {
  title: string;
  /** The command line that produced the report. */
  command: string;
  /** The metrics object printed as the command's last line. */
  metrics: Record<string, unknown>;
  imageRoc: { fpr: number[]; tpr: number[]; auroc: number };
  pixelRoc: { fpr: number[]; tpr: number[]; auroc: number } | null;
  goodScores: number[];
  defectiveScores: number[];
  threshold: number | null;
  perType: PerTypeOutcome[];
  falseNegatives: CaseCard[];
  falsePositives: CaseCard[];
}

const num = (v: number | null): string => (v === null || Number.isNaN(v) ? '—' : v.toFixed(4));
const share = (v: number | null): string => (v === null ? '—' : `${(100 * v).toFixed(1)} %`);

function cards(list: CaseCard[]): string {
  if (list.length === 0) return '<p>none</p>';
  return `<div class="cards">${list
    .map(
      (c) =>
        `<figure><img src="${c.overlay}" alt="${escapeXml(c.title)}"/><figcaption><b>${escapeXml(c.title)}</b><br/>${escapeXml(c.subtitle)}</figcaption></figure>`,
    )
    .join('')}</div>`;
}

export function renderReport(data: ReportData): string {
  const rocSeries: CurveSeries[] = [
    { label: `image AUROC ${num(data.imageRoc.auroc)}`, colour: '#1f5fa8', x: data.imageRoc.fpr, y: data.imageRoc.tpr },
  ];
  if (data.pixelRoc) {
    rocSeries.push({ label: `pixel AUROC ${num(data.pixelRoc.auroc)}`, colour: '#e07a1f', x: data.pixelRoc.fpr, y: data.pixelRoc.tpr });
  }
  const typeRows = data.perType
    .map(
      (t) =>
        `<tr><td>${escapeXml(t.type)}</td><td>${t.count}</td><td>${num(t.meanScore)}</td><td>${num(t.auroc)}</td><td>${num(t.pixelAuroc)}</td><td>${share(t.pixelShare)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"/><title>${escapeXml(data.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
code,pre{background:#f4f4f4;padding:2px 4px;border-radius:3px;font-size:12px}pre{padding:8px;overflow-x:auto}
.charts{display:flex;gap:24px;flex-wrap:wrap}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.cards{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;width:260px;font-size:12px}figure img{max-width:256px;display:block;border:1px solid #ccc}
</style></head><body>
<h1>${escapeXml(data.title)}</h1>
<p><code>${escapeXml(data.command)}</code></p>
<h2>Metrics</h2>
<pre>${escapeXml(JSON.stringify(data.metrics, null, 2))}</pre>
<h2>ROC and score distributions</h2>
<div class="charts">${rocSvg('ROC', rocSeries)}${histogramSvg(data.goodScores, data.defectiveScores, data.threshold)}</div>
<p>Dashed line in the histogram: the F1-max threshold.</p>
<h2>Per defect type (image AUROC of that type against all good test images; AUROC of its defect pixels against all good pixels)</h2>
<table><tr><th>type</th><th>images</th><th>mean score</th><th>AUROC</th><th>AUROC (pixels)</th><th>share of defect pixels</th></tr>${typeRows}</table>
<h2>Worst false negatives (defective, lowest scores)</h2>
<p>Heat = anomaly map on a colour scale shared by all thumbnails; green = ground-truth outline.</p>
${cards(data.falseNegatives)}
<h2>Worst false positives (good, highest scores)</h2>
${cards(data.falsePositives)}
</body></html>
`;
}
