import { renderReport } from './report-html';

const base = {
  title: 'MTD <eval>',
  command: 'npm run eval -- --dataset x',
  metrics: { image_auroc: 0.75 },
  imageRoc: { fpr: [0, 0, 0.5, 1], tpr: [0, 0.5, 1, 1], auroc: 0.875 },
  pixelRoc: null,
  goodScores: [1, 2],
  defectiveScores: [2, 3],
  threshold: 2,
  perType: [{ type: 'Crack', count: 2, auroc: 0.875, meanScore: 2.5, pixelAuroc: 0.6125, pixelShare: 0.25 }],
  falseNegatives: [{ title: 'a.jpg', subtitle: 'score 2', overlay: 'data:image/png;base64,AAAA' }],
  falsePositives: [],
};

describe('renderReport', () => {
  it('is one self-contained HTML page: inline SVG, data-URL images, no external references', () => {
    const html = renderReport(base);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('<img src="data:image/png;base64,AAAA"');
    expect(html).not.toMatch(/(src|href)="(https?:|\/\/|\.\/)/);
  });

  it('shows each defect type\'s image AUROC, AUROC over its pixels and share of the defect pixels', () => {
    expect(renderReport(base)).toContain('<tr><td>Crack</td><td>2</td><td>2.5000</td><td>0.8750</td><td>0.6125</td><td>25.0 %</td></tr>');
  });

  it('escapes text taken from file names and titles', () => {
    expect(renderReport(base)).toContain('<title>MTD &lt;eval&gt;</title>');
  });

  it('draws the pixel ROC only when pixel metrics exist', () => {
    expect(renderReport(base)).not.toContain('pixel AUROC');
    const withPixel = renderReport({ ...base, pixelRoc: { fpr: [0, 1], tpr: [0, 1], auroc: 0.5 } });
    expect(withPixel).toContain('pixel AUROC 0.5000');
  });
});
