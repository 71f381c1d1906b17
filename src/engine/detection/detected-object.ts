// What a detector returns: axis-aligned boxes in pixels of the decoded image (x, y = top-left corner).
export interface DetectedObject {
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
  score: number;
}

/** Scores and coordinates leave the engine rounded, so equal inputs give byte-equal JSON. */
export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** Highest score first; ties by position so the order is deterministic. */
export function byScoreThenPosition(a: DetectedObject, b: DetectedObject): number {
  return b.score - a.score || a.y - b.y || a.x - b.x;
}
