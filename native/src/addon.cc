// N-API surface of the project's native helpers: coreset selection, random projection, plain-PNG decoding, feature
// rows (input tensor, layout, normalisation, position, context means), anomaly-map post-processing (upsample + blur,
// order statistics, 8-bit visual, PNG row filter, region contours), thread settings.
#include <napi.h>
#include <omp.h>

#include <cstring>
#include <vector>

#include "contours.h"
#include "features.h"
#include "kcenter.h"
#include "png-decode.h"
#include "postprocess.h"
#include "projection.h"
#include "resize-cubic.h"

extern "C" void openblas_set_num_threads(int);
extern "C" int openblas_get_num_threads(void);

namespace {

bool readFloat32(const Napi::CallbackInfo &info, size_t at, Napi::Float32Array *out) {
  if (info.Length() <= at || !info[at].IsTypedArray() ||
      info[at].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    Napi::TypeError::New(info.Env(), "argument " + std::to_string(at) + " must be a Float32Array")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = info[at].As<Napi::Float32Array>();
  return true;
}

template <typename T>
bool readTyped(const Napi::CallbackInfo &info, size_t at, napi_typedarray_type type, const char *name, Napi::TypedArrayOf<T> *out) {
  if (info.Length() <= at || !info[at].IsTypedArray() || info[at].As<Napi::TypedArray>().TypedArrayType() != type) {
    Napi::TypeError::New(info.Env(), "argument " + std::to_string(at) + " must be a " + name).ThrowAsJavaScriptException();
    return false;
  }
  *out = info[at].As<Napi::TypedArrayOf<T>>();
  return true;
}

// A RangeError pending in JS; the binding's return value.
Napi::Value rangeError(Napi::Env env, const std::string &message) {
  Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
  return env.Null();
}

bool readNumber(const Napi::CallbackInfo &info, size_t at, double *out) {
  if (info.Length() <= at || !info[at].IsNumber()) {
    Napi::TypeError::New(info.Env(), "argument " + std::to_string(at) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[at].As<Napi::Number>().DoubleValue();
  return true;
}

bool readInt(const Napi::CallbackInfo &info, size_t at, int64_t *out) {
  if (info.Length() <= at || !info[at].IsNumber()) {
    Napi::TypeError::New(info.Env(), "argument " + std::to_string(at) + " must be a number")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = info[at].As<Napi::Number>().Int64Value();
  return true;
}

// kCenterGreedy(data: Float32Array [n,d], n, d, m, start, abortFlag?: Int32Array, threads?: number)
//   -> {indices: Int32Array, radius, distanceEvaluations, aborted}
Napi::Value KCenterGreedy(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Float32Array data;
  int64_t n, d, m, start;
  if (!readFloat32(info, 0, &data) || !readInt(info, 1, &n) || !readInt(info, 2, &d) || !readInt(info, 3, &m) ||
      !readInt(info, 4, &start))
    return env.Null();
  if (n <= 0 || d <= 0 || m <= 0 || (int64_t)data.ElementLength() != n * d || start < 0 || start >= n ||
      n > INT32_MAX) 
    return rangeError(env, "kCenterGreedy: inconsistent shape or start index");
  const int32_t *abortFlag = nullptr;
  if (info.Length() > 5 && info[5].IsTypedArray() && info[5].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array &&
      info[5].As<Napi::Int32Array>().ElementLength() >= 1)
    abortFlag = info[5].As<Napi::Int32Array>().Data();
  int64_t threads = 1;
  if (info.Length() > 6 && info[6].IsNumber()) threads = std::max<int64_t>(1, std::min<int64_t>(64, info[6].As<Napi::Number>().Int64Value()));
  bdi::KCenterResult r = bdi::kCenterGreedy(data.Data(), n, d, m, start, abortFlag, (int)threads);
  Napi::Int32Array indices = Napi::Int32Array::New(env, r.indices.size());
  std::memcpy(indices.Data(), r.indices.data(), r.indices.size() * sizeof(int32_t));
  Napi::Object out = Napi::Object::New(env);
  out.Set("indices", indices);
  out.Set("radius", Napi::Number::New(env, r.radius));
  out.Set("distanceEvaluations", Napi::Number::New(env, (double)r.distanceEvaluations));
  out.Set("aborted", Napi::Boolean::New(env, r.aborted));
  return out;
}

// projectRows(data: Float32Array [n,d], n, d, proj: Float32Array [d,k], k) -> Float32Array [n,k]
Napi::Value ProjectRows(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Float32Array data, proj;
  int64_t n, d, k;
  if (!readFloat32(info, 0, &data) || !readInt(info, 1, &n) || !readInt(info, 2, &d) || !readFloat32(info, 3, &proj) ||
      !readInt(info, 4, &k))
    return env.Null();
  if (n < 0 || d <= 0 || k <= 0 || (int64_t)data.ElementLength() != n * d || (int64_t)proj.ElementLength() != d * k) 
    return rangeError(env, "projectRows: inconsistent shapes");
  Napi::Float32Array out = Napi::Float32Array::New(env, n * k);
  bdi::projectRows(data.Data(), n, d, proj.Data(), k, out.Data());
  return out;
}

struct UpsampleArgs {
  Napi::Float32Array grid;
  Napi::Int32Array xIndex, yIndex;
  Napi::Float64Array xWeight, yWeight, kernel;
  int64_t gridH = 0, gridW = 0, W = 0, H = 0, ks = 0;
};

// Reads and checks upsampleBlur's first 8 arguments; false (a JS exception pending) when they do not fit together.
bool readUpsampleArgs(const Napi::CallbackInfo &info, const char *name, UpsampleArgs *a) {
  if (!readFloat32(info, 0, &a->grid) || !readInt(info, 1, &a->gridH) || !readInt(info, 2, &a->gridW) ||
      !readTyped(info, 3, napi_int32_array, "Int32Array", &a->xIndex) || !readTyped(info, 4, napi_float64_array, "Float64Array", &a->xWeight) ||
      !readTyped(info, 5, napi_int32_array, "Int32Array", &a->yIndex) || !readTyped(info, 6, napi_float64_array, "Float64Array", &a->yWeight) ||
      !readTyped(info, 7, napi_float64_array, "Float64Array", &a->kernel))
    return false;
  a->W = a->xIndex.ElementLength();
  a->H = a->yIndex.ElementLength();
  a->ks = a->kernel.ElementLength();
  bool ok = a->gridH > 0 && a->gridW > 0 && (int64_t)a->grid.ElementLength() == a->gridH * a->gridW && a->W > 0 && a->H > 0 &&
            (int64_t)a->xWeight.ElementLength() == a->W && (int64_t)a->yWeight.ElementLength() == a->H && a->ks % 2 == 1;
  for (int64_t i = 0; ok && i < a->W; i++) ok = a->xIndex.Data()[i] >= 0 && a->xIndex.Data()[i] < a->gridW;
  for (int64_t i = 0; ok && i < a->H; i++) ok = a->yIndex.Data()[i] >= 0 && a->yIndex.Data()[i] < a->gridH;
  if (!ok) Napi::RangeError::New(info.Env(), std::string(name) + ": inconsistent shapes or taps").ThrowAsJavaScriptException();
  return ok;
}

void runUpsampleBlur(const UpsampleArgs &a, float *out) {
  bdi::upsampleBlur(a.grid.Data(), a.gridH, a.gridW, a.xIndex.Data(), a.xWeight.Data(), a.W, a.yIndex.Data(), a.yWeight.Data(), a.H,
                    a.kernel.Data(), a.ks, out);
}

// upsampleBlur(grid: Float32Array [gridH,gridW], gridH, gridW, xIndex: Int32Array [W], xWeight: Float64Array [W],
//   yIndex: Int32Array [H], yWeight: Float64Array [H], kernel: Float64Array (odd size)) -> Float32Array [H,W]
Napi::Value UpsampleBlur(const Napi::CallbackInfo &info) {
  UpsampleArgs a;
  if (!readUpsampleArgs(info, "upsampleBlur", &a)) return info.Env().Null();
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), a.W * a.H);
  runUpsampleBlur(a, out.Data());
  return out;
}

// upsampleBlurMasked(the same 8 arguments, mask: Uint8Array [H,W]) -> Float32Array: maskedValues(upsampleBlur(...),
// mask) without handing the map itself to JS (a map read only for its percentiles).
Napi::Value UpsampleBlurMasked(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  UpsampleArgs a;
  Napi::Uint8Array mask;
  if (!readUpsampleArgs(info, "upsampleBlurMasked", &a) || !readTyped(info, 8, napi_uint8_array, "Uint8Array", &mask)) return env.Null();
  const int64_t n = a.W * a.H;
  if ((int64_t)mask.ElementLength() != n) 
    return rangeError(env, "upsampleBlurMasked: mask size differs");
  std::vector<float> heat((size_t)n);
  runUpsampleBlur(a, heat.data());
  // In place: maskedValues writes each kept value at or before the index it reads.
  const int64_t count = bdi::maskedValues(heat.data(), mask.Data(), n, heat.data());
  Napi::Float32Array out = Napi::Float32Array::New(env, count);
  if (count > 0) std::memcpy(out.Data(), heat.data(), count * sizeof(float));
  return out;
}

// maskedValues(heat: Float32Array, mask: Uint8Array) -> Float32Array of heat where mask != 0 (raster order)
Napi::Value MaskedValues(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Float32Array heat;
  Napi::Uint8Array mask;
  if (!readFloat32(info, 0, &heat) || !readTyped(info, 1, napi_uint8_array, "Uint8Array", &mask)) return env.Null();
  const int64_t n = heat.ElementLength();
  if ((int64_t)mask.ElementLength() != n) 
    return rangeError(env, "maskedValues: mask size differs");
  std::vector<float> tmp((size_t)n + 1);
  const int64_t count = bdi::maskedValues(heat.Data(), mask.Data(), n, tmp.data());
  Napi::Float32Array out = Napi::Float32Array::New(env, count);
  if (count > 0) std::memcpy(out.Data(), tmp.data(), count * sizeof(float));
  return out;
}

// selectKth(values: Float32Array, k) -> [k-th smallest, (k+1)-th smallest]; reorders values in place.
Napi::Value SelectKth(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Float32Array values;
  int64_t k;
  if (!readFloat32(info, 0, &values) || !readInt(info, 1, &k)) return env.Null();
  const int64_t n = values.ElementLength();
  if (k < 0 || k >= n) 
    return rangeError(env, "selectKth: k out of range");
  float kth, next;
  bdi::selectKth(values.Data(), n, k, &kth, &next);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set((uint32_t)0, Napi::Number::New(env, kth));
  out.Set((uint32_t)1, Napi::Number::New(env, next));
  return out;
}

// heatToGray(heat: Float32Array, mask: Uint8Array, mn, mx) -> Uint8Array (0 outside the mask)
Napi::Value HeatToGray(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Float32Array heat;
  Napi::Uint8Array mask;
  double mn, mx;
  if (!readFloat32(info, 0, &heat) || !readTyped(info, 1, napi_uint8_array, "Uint8Array", &mask) || !readNumber(info, 2, &mn) ||
      !readNumber(info, 3, &mx))
    return env.Null();
  if (mask.ElementLength() != heat.ElementLength() || !(mx > mn)) 
    return rangeError(env, "heatToGray: mask size differs or mx <= mn");
  Napi::Uint8Array out = Napi::Uint8Array::New(env, heat.ElementLength());
  bdi::heatToGray(heat.Data(), mask.Data(), heat.ElementLength(), mn, mx, out.Data());
  return out;
}

Napi::Object ContoursObject(Napi::Env env, const std::vector<int32_t> &points, const std::vector<int32_t> &lengths) {
  Napi::Int32Array p = Napi::Int32Array::New(env, points.size());
  if (!points.empty()) std::memcpy(p.Data(), points.data(), points.size() * sizeof(int32_t));
  Napi::Int32Array l = Napi::Int32Array::New(env, lengths.size());
  if (!lengths.empty()) std::memcpy(l.Data(), lengths.data(), lengths.size() * sizeof(int32_t));
  Napi::Object out = Napi::Object::New(env);
  out.Set("points", p);
  out.Set("lengths", l);
  return out;
}

// Reads (Uint8Array [height,width], width, height) from arguments 0..2; false (a JS exception pending) when they
// do not fit together.
bool readByteImage(const Napi::CallbackInfo &info, const char *name, Napi::Uint8Array *pixels, int64_t *width, int64_t *height) {
  if (!readTyped(info, 0, napi_uint8_array, "Uint8Array", pixels) || !readInt(info, 1, width) || !readInt(info, 2, height)) return false;
  if (*width < 0 || *height < 0 || (int64_t)pixels->ElementLength() != *width * *height) {
    Napi::RangeError::New(info.Env(), std::string(name) + ": size differs from width x height").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// externalContours(binary: Uint8Array [height,width], width, height) -> { points: Int32Array (x, y pairs), lengths }
Napi::Value ExternalContours(const Napi::CallbackInfo &info) {
  Napi::Uint8Array binary;
  int64_t width, height;
  if (!readByteImage(info, "externalContours", &binary, &width, &height)) return info.Env().Null();
  std::vector<int32_t> points, lengths;
  bdi::externalContours(binary.Data(), width, height, &points, &lengths);
  return ContoursObject(info.Env(), points, lengths);
}

// thresholdContours(heat: Float32Array, mask: Uint8Array, width, height, threshold) -> { points, lengths }
Napi::Value ThresholdContours(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Float32Array heat;
  Napi::Uint8Array mask;
  int64_t width, height;
  double threshold;
  if (!readFloat32(info, 0, &heat) || !readTyped(info, 1, napi_uint8_array, "Uint8Array", &mask) || !readInt(info, 2, &width) ||
      !readInt(info, 3, &height) || !readNumber(info, 4, &threshold))
    return env.Null();
  if (width < 0 || height < 0 || (int64_t)heat.ElementLength() != width * height || mask.ElementLength() != heat.ElementLength()) 
    return rangeError(env, "thresholdContours: heat or mask size differs from width x height");
  std::vector<int32_t> points, lengths;
  bdi::thresholdContours(heat.Data(), mask.Data(), width, height, threshold, &points, &lengths);
  return ContoursObject(env, points, lengths);
}

// pngSubRows(gray: Uint8Array [height,width], width, height) -> Uint8Array [height, 1 + width]: PNG filter type 1
// (Sub) on every row, the filter byte first.
Napi::Value PngSubRows(const Napi::CallbackInfo &info) {
  Napi::Uint8Array gray;
  int64_t width, height;
  if (!readByteImage(info, "pngSubRows", &gray, &width, &height)) return info.Env().Null();
  Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), (width + 1) * height);
  bdi::pngSubRows(gray.Data(), width, height, out.Data());
  return out;
}

// planarInput(rgb: Uint8Array [plane, 3], tables: Float32Array [3, 256], source: Int32Array [3]) -> Float32Array [3, plane]
Napi::Value PlanarInput(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array rgb;
  Napi::Float32Array tables;
  Napi::Int32Array source;
  if (!readTyped(info, 0, napi_uint8_array, "Uint8Array", &rgb) || !readFloat32(info, 1, &tables) ||
      !readTyped(info, 2, napi_int32_array, "Int32Array", &source))
    return env.Null();
  if (rgb.ElementLength() % 3 != 0 || tables.ElementLength() != 768 || source.ElementLength() != 3) {
    return rangeError(env, "planarInput: expects [plane, 3] bytes, [3, 256] tables and 3 source channels");
  }
  for (size_t c = 0; c < 3; c++)
    if (source[c] < 0 || source[c] > 2) return rangeError(env, "planarInput: source channels must be 0, 1 or 2");
  const int64_t plane = (int64_t)rgb.ElementLength() / 3;
  Napi::Float32Array out = Napi::Float32Array::New(env, 3 * plane);
  bdi::planarInput(rgb.Data(), plane, tables.Data(), source.Data(), out.Data());
  return out;
}

// copyColumns(data: Float32Array, plane, channels, pixelStride, channelStride, out: Float32Array [plane, outDim], outDim, column)
Napi::Value CopyColumns(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Float32Array data, out;
  int64_t plane, channels, pixelStride, channelStride, outDim, column;
  if (!readFloat32(info, 0, &data) || !readInt(info, 1, &plane) || !readInt(info, 2, &channels) || !readInt(info, 3, &pixelStride) ||
      !readInt(info, 4, &channelStride) || !readFloat32(info, 5, &out) || !readInt(info, 6, &outDim) || !readInt(info, 7, &column))
    return env.Null();
  // The last value read must lie inside `data`, each written row inside `out`.
  const int64_t last = plane > 0 && channels > 0 ? (plane - 1) * pixelStride + (channels - 1) * channelStride : -1;
  if (plane < 0 || channels < 0 || pixelStride < 0 || channelStride < 0 || column < 0 || column + channels > outDim ||
      last >= (int64_t)data.ElementLength() || (int64_t)out.ElementLength() != plane * outDim)
    return rangeError(env, "copyColumns: sizes or strides do not fit the arrays");
  bdi::copyColumns(data.Data(), plane, channels, pixelStride, channelStride, out.Data(), outDim, column);
  return env.Undefined();
}

// normaliseRows(rows: Float32Array [n, dim], dim, blocks: Int32Array, floors: Float64Array, weights: Float64Array, unitNorm)
Napi::Value NormaliseRows(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Float32Array rows;
  int64_t dim;
  Napi::Int32Array blocks;
  Napi::Float64Array floors, weights;
  if (!readFloat32(info, 0, &rows) || !readInt(info, 1, &dim) || !readTyped(info, 2, napi_int32_array, "Int32Array", &blocks) ||
      !readTyped(info, 3, napi_float64_array, "Float64Array", &floors) || !readTyped(info, 4, napi_float64_array, "Float64Array", &weights))
    return env.Null();
  const size_t nBlocks = blocks.ElementLength();
  int64_t total = 0;
  for (size_t b = 0; b < nBlocks; b++) {
    if (blocks[b] < 0) return rangeError(env, "normaliseRows: a block has a negative channel count");
    total += blocks[b];
  }
  if (dim <= 0 || total != dim || rows.ElementLength() % dim != 0 || floors.ElementLength() != nBlocks || weights.ElementLength() != nBlocks)
    return rangeError(env, "normaliseRows: blocks must sum to dim, one floor and one weight per block");
  bdi::normaliseRows(rows.Data(), (int64_t)rows.ElementLength() / dim, dim, blocks.Data(), (int64_t)nBlocks, floors.Data(), weights.Data(),
                     info.Length() > 5 && info[5].ToBoolean().Value());
  return env.Undefined();
}

// appendPosition(rows: Float32Array [gridH * gridW, dim], gridH, gridW, dim, weight) -> Float32Array [gridH * gridW, dim + 2]
Napi::Value AppendPosition(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Float32Array rows;
  int64_t gridH, gridW, dim;
  double weight;
  if (!readFloat32(info, 0, &rows) || !readInt(info, 1, &gridH) || !readInt(info, 2, &gridW) || !readInt(info, 3, &dim) ||
      !readNumber(info, 4, &weight))
    return env.Null();
  if (gridH < 0 || gridW < 0 || dim < 0 || (int64_t)rows.ElementLength() != gridH * gridW * dim)
    return rangeError(env, "appendPosition: rows are not [gridH * gridW, dim]");
  Napi::Float32Array out = Napi::Float32Array::New(env, gridH * gridW * (dim + 2));
  bdi::appendPosition(rows.Data(), gridH, gridW, dim, weight, out.Data());
  return out;
}

// contextMeans(rows: Float32Array [gridH * gridW, dim], gridH, gridW, dim, x0, x1, y0, y1, window, stride)
//   -> Float32Array [ceil(gridH / stride) * ceil(gridW / stride), dim]
Napi::Value ContextMeans(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Float32Array rows;
  int64_t v[9];
  if (!readFloat32(info, 0, &rows)) return env.Null();
  for (size_t i = 0; i < 9; i++)
    if (!readInt(info, i + 1, &v[i])) return env.Null();
  const int64_t gridH = v[0], gridW = v[1], dim = v[2], x0 = v[3], x1 = v[4], y0 = v[5], y1 = v[6], window = v[7], stride = v[8];
  if (gridH <= 0 || gridW <= 0 || dim < 0 || (int64_t)rows.ElementLength() != gridH * gridW * dim || x0 < 0 || x0 >= x1 || x1 > gridW ||
      y0 < 0 || y0 >= y1 || y1 > gridH || window < 1 || stride < 1)
    return rangeError(env, "contextMeans: rows, content cells, window or stride out of range");
  Napi::Float32Array out = Napi::Float32Array::New(env, ((gridH + stride - 1) / stride) * ((gridW + stride - 1) / stride) * dim);
  bdi::contextMeans(rows.Data(), gridH, gridW, dim, x0, x1, y0, y1, window, stride, out.Data());
  return out;
}

// resizeCubicDown(rgb: Uint8Array [height, width, 3], width, height, outWidth, outHeight) -> Uint8Array | null
//   (null: an axis would be enlarged)
Napi::Value ResizeCubicDown(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array rgb;
  int64_t width, height, outWidth, outHeight;
  if (!readTyped(info, 0, napi_uint8_array, "Uint8Array", &rgb) || !readInt(info, 1, &width) || !readInt(info, 2, &height) ||
      !readInt(info, 3, &outWidth) || !readInt(info, 4, &outHeight))
    return env.Null();
  const int64_t limit = 1 << 24;
  if (width <= 0 || height <= 0 || width > limit || height > limit || (int64_t)rgb.ElementLength() != width * height * 3)
    return rangeError(env, "resizeCubicDown: the image is not [height, width, 3]");
  if (outWidth <= 0 || outHeight <= 0 || outWidth > width || outHeight > height) return env.Null();
  Napi::Uint8Array out = Napi::Uint8Array::New(env, outWidth * outHeight * 3);
  if (!bdi::resizeCubicDown(rgb.Data(), (int)width, (int)height, 3, (int)outWidth, (int)outHeight, out.Data())) return env.Null();
  return out;
}

// decodePlainPng(png: Uint8Array) -> { data: Uint8Array (RGB), width, height } | null (not such a PNG, or damaged)
Napi::Value DecodePlainPng(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array png;
  if (!readTyped(info, 0, napi_uint8_array, "Uint8Array", &png)) return env.Null();
  Napi::Uint8Array data;
  uint32_t width = 0, height = 0;
  const bool decoded = bdi::decodePlainPng(png.Data(), (int64_t)png.ElementLength(), [&](uint32_t w, uint32_t h) {
    width = w;
    height = h;
    data = Napi::Uint8Array::New(env, (size_t)w * h * 3);
    return data.Data();
  });
  if (!decoded) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", data);
  out.Set("width", Napi::Number::New(env, width));
  out.Set("height", Napi::Number::New(env, height));
  return out;
}

// setThreads(n): caps OpenMP (for parallel regions started from the calling thread) and OpenBLAS, which read
// their environment only once per process; a worker calls it so FAISS kNN stays single-threaded there.
Napi::Value SetThreads(const Napi::CallbackInfo &info) {
  int64_t n;
  if (!readInt(info, 0, &n)) return info.Env().Null();
  if (n < 1) n = 1;
  omp_set_num_threads((int)n);
  openblas_set_num_threads((int)n);
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo &info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("omp", Napi::Number::New(info.Env(), omp_get_max_threads()));
  out.Set("openblas", Napi::Number::New(info.Env(), openblas_get_num_threads()));
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("kCenterGreedy", Napi::Function::New(env, KCenterGreedy));
  exports.Set("projectRows", Napi::Function::New(env, ProjectRows));
  exports.Set("upsampleBlur", Napi::Function::New(env, UpsampleBlur));
  exports.Set("upsampleBlurMasked", Napi::Function::New(env, UpsampleBlurMasked));
  exports.Set("maskedValues", Napi::Function::New(env, MaskedValues));
  exports.Set("selectKth", Napi::Function::New(env, SelectKth));
  exports.Set("heatToGray", Napi::Function::New(env, HeatToGray));
  exports.Set("externalContours", Napi::Function::New(env, ExternalContours));
  exports.Set("thresholdContours", Napi::Function::New(env, ThresholdContours));
  exports.Set("pngSubRows", Napi::Function::New(env, PngSubRows));
  exports.Set("decodePlainPng", Napi::Function::New(env, DecodePlainPng));
  exports.Set("resizeCubicDown", Napi::Function::New(env, ResizeCubicDown));
  exports.Set("planarInput", Napi::Function::New(env, PlanarInput));
  exports.Set("copyColumns", Napi::Function::New(env, CopyColumns));
  exports.Set("normaliseRows", Napi::Function::New(env, NormaliseRows));
  exports.Set("appendPosition", Napi::Function::New(env, AppendPosition));
  exports.Set("contextMeans", Napi::Function::New(env, ContextMeans));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads));
  return exports;
}

}  // namespace

NODE_API_MODULE(bdi_native, Init)
