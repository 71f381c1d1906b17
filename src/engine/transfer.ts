// Finds the ArrayBuffers a reply can move to the main thread instead of copying. A view over part of a larger
// buffer is first replaced by a compact copy: posting it would clone (or detach) the whole underlying buffer.

const MAX_DEPTH = 6;

/** Mutates `value` in place (compacting partial views) and returns the distinct buffers to transfer. */
export function transferablesOf(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const visit = (node: unknown, depth: number): unknown => {
    if (node === null || typeof node !== 'object' || depth > MAX_DEPTH) return node;
    if (ArrayBuffer.isView(node)) {
      if (node.buffer instanceof SharedArrayBuffer) return node;
      let view = node;
      if (view.byteOffset !== 0 || view.byteLength !== view.buffer.byteLength) {
        view = (view as Uint8Array).slice();
      }
      found.add(view.buffer as ArrayBuffer);
      return view;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = visit(node[i], depth + 1);
      return node;
    }
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = visit(record[key], depth + 1);
    return node;
  };
  visit(value, 0);
  return [...found];
}
