// Result panel: detect-objects boxes, or an inspection result (score, decision, heatmap, regions) drawn over the
// job's input image on a canvas. Server values reach the DOM as text or as canvas pixels, never as markup.
import { displayJson, formatNumber } from './format.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

// What the backend decodes, recognised by its first bytes (the backend ignores a data URL's MIME type too).
const SIGNATURES = [
  ['image/png', 'PNG', [0x89, 0x50, 0x4e, 0x47]],
  ['image/jpeg', 'JPEG', [0xff, 0xd8, 0xff]],
  ['image/gif', 'GIF', [0x47, 0x49, 0x46, 0x38]],
  ['image/webp', 'WebP', [0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50]],
  ['image/bmp', 'BMP', [0x42, 0x4d]],
  ['image/tiff', 'TIFF', [0x49, 0x49, 0x2a, 0x00]],
  ['image/tiff', 'TIFF', [0x4d, 0x4d, 0x00, 0x2a]],
];

// Perceptually ordered colour stops (inferno-like): dark → purple → red → orange → pale yellow.
const HEAT_STOPS = [
  [0, [0, 0, 4]],
  [0.25, [87, 16, 110]],
  [0.5, [188, 55, 84]],
  [0.75, [249, 142, 9]],
  [1, [252, 255, 164]],
];
const HEAT_LUT = buildHeatLut();

function buildHeatLut() {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let v = 0; v < 256; v += 1) {
    const t = v / 255;
    let i = 0;
    while (i < HEAT_STOPS.length - 2 && t > HEAT_STOPS[i + 1][0]) i += 1;
    const [t0, c0] = HEAT_STOPS[i];
    const [t1, c1] = HEAT_STOPS[i + 1];
    const f = (t - t0) / (t1 - t0);
    for (let c = 0; c < 3; c += 1) lut[v * 3 + c] = c0[c] + (c1[c] - c0[c]) * f;
  }
  return lut;
}

/**
 * An image payload as the job API takes it — a data URL (any MIME type) or plain base64, standard or URL-safe,
 * whitespace ignored — as `{ url, format }` for an <img>, or `{ problem }` saying why it cannot be shown. The URL is
 * rebuilt from the checked base64 and the sniffed type, so nothing else of the value reaches the DOM.
 */
export function payloadImage(value) {
  if (typeof value !== 'string' || value.trim() === '') return { problem: 'no image in the stored request' };
  let encoded = value;
  let wrapper = 'plain base64';
  if (/^data:/i.test(encoded)) {
    const comma = encoded.indexOf(',');
    if (comma < 0 || !/;base64$/i.test(encoded.slice(0, comma))) return { problem: 'a data URL that is not base64' };
    encoded = encoded.slice(comma + 1);
    wrapper = 'data URL';
  }
  encoded = encoded.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  const bare = encoded.replace(/=+$/, '');
  if (!BASE64.test(encoded) || bare.length % 4 === 1) return { problem: 'not valid base64' };
  encoded = bare + '='.repeat((4 - (bare.length % 4)) % 4);
  let head;
  try {
    head = Array.from(atob(encoded.slice(0, 16)), (c) => c.charCodeAt(0));
  } catch {
    return { problem: 'not valid base64' };
  }
  const match = SIGNATURES.find(([, , signature]) => signature.every((byte, i) => byte === null || head[i] === byte));
  if (!match) return { problem: 'not a PNG, JPEG, GIF, WebP, BMP or TIFF image' };
  const [type, format] = match;
  if (type === 'image/tiff') return { problem: 'a TIFF image, which browsers cannot show' };
  return { url: `data:${type};base64,${encoded}`, format: `${format}, ${wrapper}` };
}

function heatmapDataUrl(value) {
  return payloadImage(value).url ?? null;
}

function loadImage(src) {
  return new Promise((resolve) => {
    if (!src) {
      resolve(null);
      return;
    }
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => resolve(null);
    image.src = src;
  });
}

function num(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** [x, y, w, h] of a detect object or an inspection region (bbox array first, then x/y/w/h fields). */
function boxOf(item) {
  if (Array.isArray(item?.bbox) && item.bbox.length >= 4 && item.bbox.slice(0, 4).every((v) => num(v) !== null)) {
    return item.bbox.slice(0, 4);
  }
  const x = num(item?.x);
  const y = num(item?.y);
  const w = num(item?.width ?? item?.w);
  const h = num(item?.height ?? item?.h);
  return x !== null && y !== null && w !== null && h !== null ? [x, y, w, h] : null;
}

export function resultKind(task, result) {
  if (task === 'detect-objects' || Array.isArray(result?.objects)) return 'detect';
  if (task === 'infer' || (result && typeof result === 'object' && 'score' in result && 'threshold' in result)) {
    return 'inspection';
  }
  return 'generic';
}

function text(value) {
  if (value === null || value === undefined) return '—';
  return typeof value === 'string' ? value : formatNumber(value);
}

/** Scores and thresholds are shown exactly: a decision depends on them, so rounding could show 0.2547 vs 0.2547. */
function exact(value) {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : text(value);
}

/** The `| objects=… | model=…` part of the details line. */
export function resultSummary(kind, result) {
  if (kind === 'detect') {
    const count = Array.isArray(result.objects) ? result.objects.length : 0;
    return `objects=${count} | model=${text(result.modelVersion)} | requestId=${text(result.requestId)} | latency=${text(result.latencyMs)}ms`;
  }
  if (kind === 'inspection') {
    const count = Array.isArray(result.regions) ? result.regions.length : 0;
    const above = typeof result.regions_above_area_threshold === 'number' && result.regions_above_area_threshold > count ? ` (${result.regions_above_area_threshold} above the area threshold, not defects)` : '';
    return `score=${exact(result.score)} | threshold=${exact(result.threshold)} | decision=${text(result.decision)} | regions=${count}${above} | requestId=${text(result.request_id ?? result.requestId)}`;
  }
  return `result keys=${Object.keys(result ?? {}).join(',')}`;
}

function listLines(kind, result) {
  if (kind === 'detect') {
    const objects = Array.isArray(result.objects) ? result.objects : [];
    if (objects.length === 0) return ['No objects found.'];
    return objects.map((object, index) => {
      const box = boxOf(object) ?? [0, 0, 0, 0];
      const score = num(object.score);
      const pct = score === null ? '?' : Math.round(score * 100);
      return `Object ${index + 1}: ${text(object.label)} (${pct}%), ${formatNumber(box[2], 1)}x${formatNumber(box[3], 1)} px at (${formatNumber(box[0], 1)}, ${formatNumber(box[1], 1)})`;
    });
  }
  if (kind === 'inspection') {
    const regions = Array.isArray(result.regions) ? result.regions : [];
    if (regions.length === 0) return ['No defect regions.'];
    return regions.map((region, index) => {
      const box = boxOf(region) ?? [0, 0, 0, 0];
      return `Region ${index + 1}: ${formatNumber(box[2], 1)}x${formatNumber(box[3], 1)} px at (${formatNumber(box[0], 1)}, ${formatNumber(box[1], 1)}) | area ${text(region.area_px)} px | ${text(region.area_mm2)} mm²`;
    });
  }
  return [];
}

/**
 * The monitor draws every heatmap on the backend's absolute scale (0 … 2 × threshold, threshold in the middle). A
 * per-image map (the GUI's default) is a linear stretch of its own [min, max] (its legend), so its gray levels convert
 * exactly inside that range; values beyond it were clipped by the backend and stay at its ends. Returns the legend to
 * show, the gray → drawn-gray table (null: as sent), and the per-image range it was converted from.
 */
export function absoluteView(legend) {
  const none = { legend, levels: null, from: null };
  if (!legend || typeof legend !== 'object' || legend.mode !== 'image') return none;
  const threshold = num(legend.threshold);
  const min = num(legend.min);
  const max = num(legend.max);
  if (threshold === null || threshold <= 0 || min === null || max === null || !(max > min)) return none;
  const top = 2 * threshold;
  const levels = new Uint8Array(256); // 0 stays 0: outside the mask
  for (let g = 1; g < 256; g += 1) {
    levels[g] = Math.max(1, Math.min(255, Math.round(((min + (g / 255) * (max - min)) / top) * 255)));
  }
  return { legend: { mode: 'absolute', min: 0, max: top, threshold, threshold_level: 0.5 }, levels, from: { min, max } };
}

function colorizeHeatmap(heatmap, width, height, levels) {
  const canvas = document.createElement('canvas');
  canvas.width = heatmap.naturalWidth;
  canvas.height = heatmap.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(heatmap, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const data = pixels.data;
  for (let i = 0; i < data.length; i += 4) {
    const v = levels ? levels[data[i]] : data[i]; // grayscale: R = G = B
    data[i] = HEAT_LUT[v * 3];
    data[i + 1] = HEAT_LUT[v * 3 + 1];
    data[i + 2] = HEAT_LUT[v * 3 + 2];
    data[i + 3] = v === 0 ? 0 : 70 + (v / 255) * 150; // 0 is outside the mask: keep the image visible there
  }
  context.putImageData(pixels, 0, 0);
  const scaled = document.createElement('canvas');
  scaled.width = width;
  scaled.height = height;
  scaled.getContext('2d').drawImage(canvas, 0, 0, width, height);
  return scaled;
}

function drawShape(context, shape, lineWidth) {
  if (!shape || typeof shape !== 'object') return;
  const kind = String(shape.kind ?? 'rect').toLowerCase();
  context.save();
  context.setLineDash([lineWidth * 3, lineWidth * 2]);
  context.strokeStyle = 'rgba(56, 189, 248, 0.9)';
  context.lineWidth = lineWidth;
  context.beginPath();
  if (kind === 'rect' && [shape.x, shape.y, shape.w, shape.h].every((v) => num(v) !== null)) {
    context.rect(shape.x, shape.y, shape.w, shape.h);
  } else if ((kind === 'circle' || kind === 'annulus') && [shape.cx, shape.cy, shape.r].every((v) => num(v) !== null)) {
    context.arc(shape.cx, shape.cy, Math.max(0, shape.r), 0, Math.PI * 2);
    if (kind === 'annulus' && num(shape.r_inner) !== null) {
      context.moveTo(shape.cx + shape.r_inner, shape.cy);
      context.arc(shape.cx, shape.cy, Math.max(0, shape.r_inner), 0, Math.PI * 2);
    }
  }
  context.stroke();
  context.restore();
}

function drawBoxes(context, boxes, color, lineWidth, fontSize, canvasWidth) {
  context.font = `600 ${fontSize}px system-ui, sans-serif`;
  context.textBaseline = 'top';
  boxes.forEach(({ box, label }) => {
    const [x, y, w, h] = box;
    context.strokeStyle = color;
    context.lineWidth = lineWidth;
    context.strokeRect(x + lineWidth / 2, y + lineWidth / 2, Math.max(1, w - lineWidth), Math.max(1, h - lineWidth));
    // Above the box when there is room, inside it otherwise; never past the right edge.
    const labelWidth = context.measureText(label).width + 8;
    const labelX = Math.max(0, Math.min(x, canvasWidth - labelWidth));
    const labelY = y - fontSize - 4 >= 0 ? y - fontSize - 4 : y + lineWidth;
    context.fillStyle = 'rgba(2, 6, 23, 0.8)';
    context.fillRect(labelX, labelY, labelWidth, fontSize + 4);
    context.fillStyle = color;
    context.fillText(label, labelX + 4, labelY + 2);
  });
}

/**
 * Draws the result. `request` is the stored job request when known (imageBase64, shape), else null with
 * `requestMissing` saying why; without the input image the heatmap (inspection) or a blank canvas sized to the boxes
 * (detect) is the background, and the note says which of the two cases it is.
 */
export async function renderResult(ui, { kind, result, request, imageSource, requestMissing }) {
  ui.summary.textContent = kind === 'generic' ? 'Result of a job without an image view.' : '';
  ui.list.replaceChildren();
  for (const line of listLines(kind, result)) {
    const item = document.createElement('li');
    item.textContent = line;
    ui.list.append(item);
  }
  ui.raw.textContent = displayJson(result);
  ui.rawBox.hidden = false;

  ui.decision.hidden = kind !== 'inspection';
  if (kind === 'inspection') {
    const decision = typeof result.decision === 'string' ? result.decision : '';
    ui.decision.className = `decision decision--${decision === 'ng' ? 'ng' : decision === 'ok' ? 'ok' : 'unknown'}`;
    ui.decision.textContent = `Decision: ${decision ? decision.toUpperCase() : '—'} | score ${exact(result.score)} | threshold ${exact(result.threshold)}`;
  }

  if (kind === 'generic') {
    ui.canvasBox.hidden = true;
    ui.toggles.hidden = true;
    ui.imageNote.hidden = true;
    renderLegend(ui, null, false);
    return;
  }

  const input = request ? payloadImage(request.imageBase64) : null;
  const [image, heatmap] = await Promise.all([
    loadImage(input?.url),
    kind === 'inspection' ? loadImage(heatmapDataUrl(result.heatmap_png_base64)) : Promise.resolve(null),
  ]);
  const items = kind === 'detect' ? (Array.isArray(result.objects) ? result.objects : []) : Array.isArray(result.regions) ? result.regions : [];
  const boxes = items
    .map((item, index) => {
      const box = boxOf(item);
      if (!box) return null;
      const label =
        kind === 'detect'
          ? `${index + 1} ${text(item.label)} ${num(item.score) === null ? '' : `${Math.round(item.score * 100)}%`}`.trim()
          : `R${index + 1}`;
      return { box, label };
    })
    .filter(Boolean);

  let width = image?.naturalWidth ?? heatmap?.naturalWidth ?? 0;
  let height = image?.naturalHeight ?? heatmap?.naturalHeight ?? 0;
  if (!width || !height) {
    width = Math.max(64, ...boxes.map(({ box }) => box[0] + box[2]));
    height = Math.max(64, ...boxes.map(({ box }) => box[1] + box[3]));
  }
  const view = absoluteView(kind === 'inspection' ? result.heatmap_scale : null);
  const heatLayer = heatmap ? colorizeHeatmap(heatmap, width, height, view.levels) : null;

  // Small crops are drawn at an integer zoom, so pixels stay sharp and the overlay text stays legible.
  const scale = Math.max(1, Math.min(8, Math.floor(640 / Math.max(width, height))));
  const draw = () => {
    const canvas = ui.canvas;
    canvas.width = width * scale;
    canvas.height = height * scale;
    canvas.dataset.scale = String(scale);
    const context = canvas.getContext('2d');
    context.setTransform(scale, 0, 0, scale, 0, 0); // draw in image pixels
    context.imageSmoothingEnabled = false;
    context.fillStyle = '#0b1220';
    context.fillRect(0, 0, width, height);
    if (image) context.drawImage(image, 0, 0, width, height);
    if (!ui.overlayToggle.checked) return;
    const lineWidthPx = Math.max(2, Math.round(Math.max(canvas.width, canvas.height) / 250));
    const fontSizePx = Math.max(12, lineWidthPx * 6);
    if (heatLayer) context.drawImage(heatLayer, 0, 0, width, height);
    if (kind === 'inspection') drawShape(context, request?.shape, lineWidthPx / scale);
    drawBoxes(context, boxes, kind === 'detect' ? '#22c55e' : '#f43f5e', lineWidthPx / scale, fontSizePx / scale, width);
  };
  draw();
  ui.redraw = draw;
  ui.canvas.setAttribute(
    'aria-label',
    kind === 'detect' ? `Input image with ${boxes.length} detected object boxes` : `Inspection heatmap with ${boxes.length} region boxes`,
  );
  ui.canvasBox.hidden = false;
  ui.toggles.hidden = false;

  const notes = [];
  if (!request) notes.push(`No stored request for this job (${requestMissing || 'not kept'}) — overlay drawn without the input image.`);
  else if (!input.url) notes.push(`Input image not shown: ${input.problem} (${imageSource}) — overlay drawn without it.`);
  else if (!image) notes.push(`Input image not shown: the browser could not decode it (${input.format}; ${imageSource}) — overlay drawn without it.`);
  else notes.push(`Input image: ${imageSource} (${input.format}).`);
  if (kind === 'inspection' && !heatmap) notes.push('No heatmap in this result (include_heatmap was off or decision OK).');
  ui.imageNote.textContent = notes.join(' ');
  ui.imageNote.hidden = false;
  renderLegend(ui, kind === 'inspection' && heatmap ? view.legend : null, kind === 'inspection' && Boolean(heatmap), view.from);
}

/** Legend values: four significant digits (the exact score and threshold are in the decision line). */
function short(value) {
  return typeof value === 'number' && Number.isFinite(value) ? String(Number(value.toPrecision(4))) : text(value);
}

function percent(level) {
  return `${Math.round(level * 100)} %`;
}

/**
 * The colour bar of the heatmap with the score values at its ends and the threshold's mark, from the result's
 * `heatmap_scale` legend ({mode, min, max, threshold, threshold_level}). A heatmap without a legend (an older
 * backend) is read as the per-image stretch it then is.
 */
function renderLegend(ui, legend, hasHeatmap, from = null) {
  const box = ui.legend;
  if (!box) return;
  if (!hasHeatmap) {
    box.hidden = true;
    return;
  }
  const valid = legend && typeof legend === 'object' && num(legend.min) !== null && num(legend.max) !== null;
  const bar = ui.legendBar;
  const context = bar.getContext('2d');
  const pixels = context.createImageData(bar.width, bar.height);
  for (let x = 0; x < bar.width; x += 1) {
    const v = Math.round((x / (bar.width - 1)) * 255);
    for (let y = 0; y < bar.height; y += 1) {
      const i = (y * bar.width + x) * 4;
      pixels.data.set([HEAT_LUT[v * 3], HEAT_LUT[v * 3 + 1], HEAT_LUT[v * 3 + 2], 255], i);
    }
  }
  context.putImageData(pixels, 0, 0);
  ui.legendMin.textContent = valid ? short(legend.min) : 'low';
  ui.legendMax.textContent = valid ? short(legend.max) : 'high';
  const level = valid ? num(legend.threshold_level) : null;
  const onScale = level !== null && level >= 0 && level <= 1;
  ui.legendMark.hidden = !onScale;
  if (onScale) {
    ui.legendMark.style.left = `${level * 100}%`;
    ui.legendMark.title = `threshold ${short(legend.threshold)}`;
  }
  let text;
  if (!valid) {
    text = 'Heatmap scale: not given by the backend — a per-image stretch; colours do not compare across images.';
  } else {
    const where =
      level === null
        ? 'flat map'
        : onScale
          ? `threshold ${short(legend.threshold)} at ${percent(level)} of the bar`
          : `threshold ${short(legend.threshold)} ${level > 1 ? 'above' : 'below'} this map's range`;
    const converted = from ? ` (converted here from this map's own range ${short(from.min)} … ${short(from.max)}; values beyond it clipped)` : '';
    text =
      legend.mode === 'absolute'
        ? `Heatmap scale: absolute, ${short(legend.min)} … ${short(legend.max)}, the same for every image of this model${converted}; ${where}.`
        : `Heatmap scale: per image, ${short(legend.min)} … ${short(legend.max)} (this map's own 1–99 % range; colours do not compare across images); ${where}.`;
  }
  ui.legendText.textContent = text;
  box.dataset.mode = valid ? String(legend.mode) : 'unknown';
  box.hidden = false;
}

export function clearResult(ui) {
  ui.summary.textContent = 'Open the result of a done job to see it here.';
  ui.decision.hidden = true;
  ui.canvasBox.hidden = true;
  ui.toggles.hidden = true;
  ui.imageNote.hidden = true;
  renderLegend(ui, null, false);
  ui.list.replaceChildren();
  ui.rawBox.hidden = true;
  ui.raw.textContent = '';
  ui.redraw = null;
}
