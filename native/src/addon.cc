// N-API surface of the project's native helpers: coreset selection, random projection, thread settings.
#include <napi.h>
#include <omp.h>

#include <cstring>

#include "kcenter.h"
#include "projection.h"

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
      n > INT32_MAX) {
    Napi::RangeError::New(env, "kCenterGreedy: inconsistent shape or start index").ThrowAsJavaScriptException();
    return env.Null();
  }
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
  if (n < 0 || d <= 0 || k <= 0 || (int64_t)data.ElementLength() != n * d || (int64_t)proj.ElementLength() != d * k) {
    Napi::RangeError::New(env, "projectRows: inconsistent shapes").ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Float32Array out = Napi::Float32Array::New(env, n * k);
  bdi::projectRows(data.Data(), n, d, proj.Data(), k, out.Data());
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
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads));
  return exports;
}

}  // namespace

NODE_API_MODULE(bdi_native, Init)
