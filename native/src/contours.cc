// Region contours of a thresholded anomaly map (see contours.h): the worker's per-request hot loop over a blob's
// pixels, here rather than in JS.
#include "contours.h"

#include <algorithm>

namespace bdi {
namespace {
// OpenCV chain codes: 0=E, 1=NE, 2=N, 3=NW, 4=W, 5=SW, 6=S, 7=SE (counter-clockwise on screen).
constexpr int DX[8] = {1, 1, 0, -1, -1, -1, 0, 1};
constexpr int DY[8] = {0, -1, -1, -1, 0, 1, 1, 1};

struct Grid {
  const uint8_t *data;
  int64_t width, height;
  bool on(int64_t x, int64_t y) const { return x >= 0 && y >= 0 && x < width && y < height && data[y * width + x] != 0; }
};

// Outer border of the blob whose first raster pixel is (x0, y0), appended to points as x, y pairs; returns the count.
int32_t traceOuterBorder(const Grid &g, int64_t x0, int64_t y0, std::vector<int32_t> *points) {
  // Clockwise from the west neighbour (background by construction) to the first foreground neighbour.
  int s = 4;
  int found = -1;
  for (int k = 0; k < 8; k++) {
    s = (s + 7) & 7;
    if (s == 4) break;
    if (g.on(x0 + DX[s], y0 + DY[s])) {
      found = s;
      break;
    }
  }
  if (found < 0) {
    points->push_back((int32_t)x0);
    points->push_back((int32_t)y0);
    return 1;
  }
  const int64_t x1 = x0 + DX[found], y1 = y0 + DY[found];
  int32_t count = 0;
  int prevS = found ^ 4;
  int64_t x3 = x0, y3 = y0;
  s = found;
  for (;;) {
    // Counter-clockwise from the direction after the one we came from.
    int64_t x4 = x3, y4 = y3;
    for (int k = 1; k <= 8; k++) {
      const int t = (s + k) & 7;
      if (g.on(x3 + DX[t], y3 + DY[t])) {
        s = t;
        x4 = x3 + DX[t];
        y4 = y3 + DY[t];
        break;
      }
    }
    if (s != prevS) {
      points->push_back((int32_t)x3);
      points->push_back((int32_t)y3);
      count++;
      prevS = s;
    }
    if (x4 == x0 && y4 == y0 && x3 == x1 && y3 == y1) break;
    x3 = x4;
    y3 = y4;
    s = (s + 4) & 7;
  }
  return count;
}

// A horizontal run of equal pixels in one row, x0..x1 inclusive.
struct Run {
  int32_t y, x0, x1;
  // For a foreground run: the background run just west of it in the same row (-1 at the left edge).
  int32_t west;
};

int32_t rootOf(std::vector<int32_t> &parent, int32_t i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

void unite(std::vector<int32_t> &parent, int32_t a, int32_t b) {
  a = rootOf(parent, a);
  b = rootOf(parent, b);
  if (a != b) parent[std::max(a, b)] = std::min(a, b);
}

// Unites the runs of two adjacent rows that touch: sharing a column (4-connected) or also diagonally (8-connected).
// Runs of one row are at least one pixel apart, so advancing the run that ends first never skips a touching pair.
void uniteRows(const std::vector<Run> &runs, std::vector<int32_t> &parent, int32_t aBegin, int32_t aEnd, int32_t bBegin,
               int32_t bEnd, int32_t reach) {
  int32_t i = aBegin, j = bBegin;
  while (i < aEnd && j < bEnd) {
    const Run &a = runs[i], &b = runs[j];
    if (a.x0 <= b.x1 + reach && b.x0 <= a.x1 + reach) unite(parent, i, j);
    if (a.x1 < b.x1) i++;
    else j++;
  }
}
}  // namespace

void externalContours(const uint8_t *binary, int64_t width, int64_t height, std::vector<int32_t> *points,
                      std::vector<int32_t> *lengths) {
  points->clear();
  lengths->clear();
  if (width <= 0 || height <= 0) return;
  // Connected components over runs instead of pixels: blobs are 8-connected, background 4-connected (the pair
  // that makes borders well defined). fgRow/bgRow: where each row's runs begin.
  std::vector<Run> fg, bg;
  std::vector<int32_t> fgRow((size_t)height + 1), bgRow((size_t)height + 1);
  for (int64_t y = 0; y < height; y++) {
    fgRow[y] = (int32_t)fg.size();
    bgRow[y] = (int32_t)bg.size();
    const uint8_t *row = binary + y * width;
    int64_t x = 0;
    while (x < width) {
      const bool on = row[x] != 0;
      int64_t end = x;
      while (end + 1 < width && (row[end + 1] != 0) == on) end++;
      if (on) {
        const int32_t west = x > 0 ? (int32_t)bg.size() - 1 : -1;
        fg.push_back({(int32_t)y, (int32_t)x, (int32_t)end, west});
      } else {
        bg.push_back({(int32_t)y, (int32_t)x, (int32_t)end, -1});
      }
      x = end + 1;
    }
  }
  fgRow[height] = (int32_t)fg.size();
  bgRow[height] = (int32_t)bg.size();
  std::vector<int32_t> fgParent(fg.size()), bgParent(bg.size());
  for (size_t i = 0; i < fg.size(); i++) fgParent[i] = (int32_t)i;
  for (size_t i = 0; i < bg.size(); i++) bgParent[i] = (int32_t)i;
  for (int64_t y = 1; y < height; y++) {
    uniteRows(fg, fgParent, fgRow[y - 1], fgRow[y], fgRow[y], fgRow[y + 1], 1);
    uniteRows(bg, bgParent, bgRow[y - 1], bgRow[y], bgRow[y], bgRow[y + 1], 0);
  }
  // Outer background: components with a run on the image border.
  std::vector<uint8_t> outer(bg.size(), 0);
  for (const Run &r : bg) {
    if (r.y == 0 || r.y == height - 1 || r.x0 == 0 || r.x1 == width - 1) outer[rootOf(bgParent, (int32_t)(&r - bg.data()))] = 1;
  }
  // A blob's first raster pixel starts its first run in raster order; the blob is external when the pixel west of
  // it is outer background (or it is on the left edge).
  const Grid g{binary, width, height};
  std::vector<uint8_t> seen(fg.size(), 0);
  std::vector<int32_t> traced, starts, counts;  // contours in finding order
  for (size_t i = 0; i < fg.size(); i++) {
    const int32_t root = rootOf(fgParent, (int32_t)i);
    if (seen[root]) continue;
    seen[root] = 1;
    const Run &r = fg[i];
    if (r.west < 0 || outer[rootOf(bgParent, r.west)]) {
      starts.push_back((int32_t)traced.size());
      counts.push_back(traceOuterBorder(g, r.x0, r.y, &traced));
    }
  }
  // OpenCV lists the last found first.
  points->reserve(traced.size());
  for (size_t c = counts.size(); c-- > 0;) {
    points->insert(points->end(), traced.begin() + starts[c], traced.begin() + starts[c] + 2 * counts[c]);
    lengths->push_back(counts[c]);
  }
}

void thresholdContours(const float *heat, const uint8_t *mask, int64_t width, int64_t height, double threshold,
                       std::vector<int32_t> *points, std::vector<int32_t> *lengths) {
  auto above = [&](int64_t i) { return mask[i] != 0 && (double)heat[i] >= threshold; };
  int64_t x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (int64_t y = 0; y < height; y++) {
    for (int64_t x = 0, i = y * width; x < width; x++, i++) {
      if (above(i)) {
        x0 = std::min(x0, x);
        x1 = std::max(x1, x);
        y0 = std::min(y0, y);
        y1 = y;
      }
    }
  }
  points->clear();
  lengths->clear();
  if (x1 < 0) return;
  x0 = std::max<int64_t>(0, x0 - 1);
  y0 = std::max<int64_t>(0, y0 - 1);
  x1 = std::min(width - 1, x1 + 1);
  y1 = std::min(height - 1, y1 + 1);
  const int64_t boxWidth = x1 - x0 + 1, boxHeight = y1 - y0 + 1;
  std::vector<uint8_t> binary((size_t)(boxWidth * boxHeight));
  for (int64_t y = 0; y < boxHeight; y++)
    for (int64_t x = 0; x < boxWidth; x++) binary[y * boxWidth + x] = above((y + y0) * width + x + x0) ? 255 : 0;
  externalContours(binary.data(), boxWidth, boxHeight, points, lengths);
  for (size_t i = 0; i < points->size(); i += 2) {
    (*points)[i] += (int32_t)x0;
    (*points)[i + 1] += (int32_t)y0;
  }
}
}  // namespace bdi
