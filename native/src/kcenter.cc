#include "kcenter.h"

#include <algorithm>
#include <cmath>

namespace bdi {

float l2Distance(const float *a, const float *b, int64_t d) {
  // Sixteen independent partial sums: the compiler vectorises this (a single running sum is a latency-bound chain
  // ~10x slower), and the fixed summation order keeps results deterministic.
  float acc[16] = {0};
  int64_t j = 0;
  for (; j + 16 <= d; j += 16) {
    for (int l = 0; l < 16; l++) {
      const float t = a[j + l] - b[j + l];
      acc[l] += t * t;
    }
  }
  float tail = 0.0f;
  for (; j < d; j++) {
    const float t = a[j] - b[j];
    tail += t * t;
  }
  for (int l = 0; l < 8; l++) acc[l] += acc[l + 8];
  for (int l = 0; l < 4; l++) acc[l] += acc[l + 4];
  return std::sqrt((acc[0] + acc[2]) + (acc[1] + acc[3]) + tail);
}

namespace {

// Float distances obey the triangle inequality only up to rounding: bounds skip work only with this margin,
// so the pruned selection equals the plain one.
constexpr double kRel = 1e-4;
constexpr double kAbs = 1e-6;
inline bool surelyAtLeast(double lowerBound, double limit) { return lowerBound > limit * (1.0 + kRel) + kAbs; }

// Max-tournament over centre slots: key (radius desc, farthest point index asc) = "first max" of plain greedy.
class Tournament {
 public:
  explicit Tournament(int64_t slots) {
    size_ = 1;
    while (size_ < slots) size_ <<= 1;
    radius_.assign(2 * size_, -1.0f);
    point_.assign(2 * size_, INT32_MAX);
  }
  void set(int64_t slot, float radius, int32_t point) {
    int64_t i = slot + size_;
    radius_[i] = radius;
    point_[i] = point;
    for (i >>= 1; i >= 1; i >>= 1) {
      const int64_t l = 2 * i, r = 2 * i + 1;
      const bool left = radius_[l] > radius_[r] || (radius_[l] == radius_[r] && point_[l] <= point_[r]);
      radius_[i] = left ? radius_[l] : radius_[r];
      point_[i] = left ? point_[l] : point_[r];
    }
  }
  float topRadius() const { return radius_[1]; }
  int32_t topPoint() const { return point_[1]; }

 private:
  int64_t size_;
  std::vector<float> radius_;
  std::vector<int32_t> point_;
};

inline bool abortRequested(const int32_t *flag, int64_t t) {
  return flag != nullptr && (t & 63) == 0 && __atomic_load_n(flag, __ATOMIC_RELAXED) != 0;
}

KCenterResult plainGreedy(const float *x, int64_t n, int64_t d, int64_t m, int64_t start, const int32_t *abortFlag) {
  KCenterResult res;
  std::vector<float> dmin(n);
  const float *c0 = x + start * d;
  for (int64_t i = 0; i < n; i++) dmin[i] = l2Distance(x + i * d, c0, d);
  res.distanceEvaluations = n;
  res.indices.push_back(static_cast<int32_t>(start));
  for (int64_t t = 1; t < m; t++) {
    if (abortRequested(abortFlag, t)) {
      res.aborted = true;
      return res;
    }
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
      if (dmin[i] > dmin[best]) best = i;
    res.indices.push_back(static_cast<int32_t>(best));
    const float *c = x + best * d;
    for (int64_t i = 0; i < n; i++) {
      const float v = l2Distance(x + i * d, c, d);
      if (v < dmin[i]) dmin[i] = v;
    }
    res.distanceEvaluations += n;
  }
  float r = 0.0f;
  for (int64_t i = 0; i < n; i++) r = std::max(r, dmin[i]);
  res.radius = r;
  return res;
}

KCenterResult prunedGreedy(const float *x, int64_t n, int64_t d, int64_t m, int64_t start, const int32_t *abortFlag) {
  KCenterResult res;
  res.indices.reserve(m);
  std::vector<float> dmin(n);
  std::vector<std::vector<int32_t>> members(m);
  std::vector<float> radius(m, 0.0f);
  Tournament tour(m);
  // The first P centres are pivots; later centres remember their nearest pivot and distance to it, so a
  // lower bound |D(x,p) - D(c,p)| rules most centres out without touching their coordinates.
  const int64_t pivotCount = std::max<int64_t>(1, std::min<int64_t>(m, std::max<int64_t>(16, (int64_t)std::sqrt((double)m))));
  std::vector<int32_t> pivotOf(m, 0);
  std::vector<float> toPivot(m, 0.0f);
  std::vector<std::vector<int32_t>> group(pivotCount);
  std::vector<float> groupRadius(pivotCount, 0.0f);
  std::vector<float> xToPivot(pivotCount, 0.0f);

  auto refresh = [&](int64_t c) {
    float r = -1.0f;
    int32_t far = INT32_MAX;
    for (int32_t i : members[c]) {
      if (dmin[i] > r || (dmin[i] == r && i < far)) {
        r = dmin[i];
        far = i;
      }
    }
    radius[c] = std::max(r, 0.0f);
    tour.set(c, r, far);
  };

  const float *c0 = x + start * d;
  members[0].resize(n);
  for (int64_t i = 0; i < n; i++) {
    dmin[i] = l2Distance(x + i * d, c0, d);
    members[0][i] = static_cast<int32_t>(i);
  }
  res.distanceEvaluations = n;
  res.indices.push_back(static_cast<int32_t>(start));
  refresh(0);
  group[0].push_back(0);

  std::vector<int32_t> kept;
  for (int64_t t = 1; t < m; t++) {
    if (abortRequested(abortFlag, t)) {
      res.aborted = true;
      return res;
    }
    const double R = tour.topRadius();
    const int32_t xi = tour.topPoint();
    if (R <= 0.0f) {
      // Every point coincides with a centre: plain greedy would pick the first index with distance 0 repeatedly;
      // mirror its "first max" choice (index 0 order) without further distance work.
      res.indices.push_back(xi);
      continue;
    }
    res.indices.push_back(xi);
    const float *xp = x + static_cast<int64_t>(xi) * d;
    const int64_t pivots = std::min<int64_t>(t, pivotCount);
    for (int64_t p = 0; p < pivots; p++) xToPivot[p] = l2Distance(xp, x + static_cast<int64_t>(res.indices[p]) * d, d);
    res.distanceEvaluations += pivots;

    for (int64_t p = 0; p < pivots; p++) {
      if (surelyAtLeast(xToPivot[p] - groupRadius[p], 2.0 * R)) continue;
      for (int32_t c : group[p]) {
        if (radius[c] <= 0.0f) continue;
        double dcx;
        if (c == p) {
          dcx = xToPivot[p];
        } else {
          if (surelyAtLeast(std::fabs((double)xToPivot[p] - toPivot[c]), 2.0 * radius[c])) continue;
          dcx = l2Distance(xp, x + static_cast<int64_t>(res.indices[c]) * d, d);
          res.distanceEvaluations++;
        }
        if (surelyAtLeast(dcx, 2.0 * radius[c])) continue;
        kept.clear();
        for (int32_t i : members[c]) {
          if (surelyAtLeast(dcx, 2.0 * dmin[i])) {
            kept.push_back(i);
            continue;
          }
          const float v = l2Distance(x + static_cast<int64_t>(i) * d, xp, d);
          res.distanceEvaluations++;
          if (v < dmin[i]) {
            dmin[i] = v;
            members[t].push_back(i);
          } else {
            kept.push_back(i);
          }
        }
        if (kept.size() != members[c].size()) {
          members[c].swap(kept);
          refresh(c);
        }
      }
    }
    // The new centre always leaves its old cluster (its distance became 0 < R).
    refresh(t);
    if (t < pivotCount) {
      pivotOf[t] = static_cast<int32_t>(t);
      toPivot[t] = 0.0f;
      group[t].push_back(static_cast<int32_t>(t));
    } else {
      int64_t best = 0;
      for (int64_t p = 1; p < pivots; p++)
        if (xToPivot[p] < xToPivot[best]) best = p;
      pivotOf[t] = static_cast<int32_t>(best);
      toPivot[t] = xToPivot[best];
      group[best].push_back(static_cast<int32_t>(t));
      groupRadius[best] = std::max(groupRadius[best], toPivot[t]);
    }
  }
  res.radius = std::max(0.0f, tour.topRadius());
  return res;
}

}  // namespace

KCenterResult kCenterGreedy(const float *data, int64_t n, int64_t d, int64_t m, int64_t start, bool prune,
                            const int32_t *abortFlag) {
  if (m >= n) {
    KCenterResult all;
    for (int64_t i = 0; i < n; i++) all.indices.push_back(static_cast<int32_t>(i));
    return all;
  }
  return prune ? prunedGreedy(data, n, d, m, start, abortFlag) : plainGreedy(data, n, d, m, start, abortFlag);
}

}  // namespace bdi
