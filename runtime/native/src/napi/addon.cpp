// N-API bindings only: argument conversion, handle objects, and the exception boundary. Every C++ exception is caught
// here and rethrown as a JS Error whose message starts with an HEC5xxx code (HEC5199 for unexpected internal errors).
#include <napi.h>

#include <chrono>
#include <cmath>

#include "../ckks/ckks.h"
#include "../ring/pool.h"

using namespace hec;

namespace {

enum Kind { K_CT = 1, K_PT = 2, K_SK = 3, K_PK = 4, K_EVK = 5 };

template <class F>
Napi::Value guard(const Napi::Env& env, F f) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const HecErr& e) {
    throw Napi::Error::New(env, e.code + ": " + e.what());
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "HEC5199: out of memory in the cpu CKKS engine");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("HEC5199: internal error in the cpu CKKS engine: ") + e.what());
  }
}

// One handle class for every native object; exactly one of the pointers is set until free().
class Obj : public Napi::ObjectWrap<Obj> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeObject",
                       {InstanceMethod("free", &Obj::Free), InstanceAccessor("level", &Obj::Level, nullptr),
                        InstanceAccessor("scale", &Obj::Scale, nullptr), InstanceAccessor("kind", &Obj::KindGet, nullptr),
                        InstanceAccessor("freed", &Obj::Freed, nullptr)});
  }
  Obj(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Obj>(info) {}
  ~Obj() override { release(); }

  int kind = 0;
  std::unique_ptr<Ciphertext> ct;
  std::unique_ptr<Plaintext> pt;
  std::unique_ptr<SecretKey> sk;
  std::unique_ptr<PublicKey> pk;
  std::unique_ptr<EvalKeys> evk;
  int64_t ext_bytes = 0;
  Napi::Env* envp = nullptr;

  void release() {
    if ((ct || pt)) live_objects()--;
    ct.reset();
    pt.reset();
    sk.reset();
    pk.reset();
    evk.reset();
    if (ext_bytes) {
      Napi::MemoryManagement::AdjustExternalMemory(Env(), -ext_bytes);
      ext_bytes = 0;
    }
  }
  void account(int64_t bytes) {
    ext_bytes = bytes;
    Napi::MemoryManagement::AdjustExternalMemory(Env(), bytes);
  }
  void account_more(int64_t bytes) {  // keys growing part by part
    ext_bytes += bytes;
    Napi::MemoryManagement::AdjustExternalMemory(Env(), bytes);
  }

 private:
  Napi::Value Free(const Napi::CallbackInfo& info) {
    release();
    return info.Env().Undefined();
  }
  Napi::Value Level(const Napi::CallbackInfo& info) {
    if (ct) return Napi::Number::New(info.Env(), ct->level);
    if (pt) return Napi::Number::New(info.Env(), pt->level);
    return info.Env().Undefined();
  }
  Napi::Value Scale(const Napi::CallbackInfo& info) {
    if (ct) return Napi::Number::New(info.Env(), ct->scale);
    if (pt) return Napi::Number::New(info.Env(), pt->scale);
    return info.Env().Undefined();
  }
  Napi::Value KindGet(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), kind); }
  Napi::Value Freed(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), !(ct || pt || sk || pk || evk));
  }
};

struct AddonData {
  Napi::FunctionReference objCtor;
};

Napi::Object make_obj(Napi::Env env) { return env.GetInstanceData<AddonData>()->objCtor.New({}); }

Napi::Value wrap(Napi::Env env, Ciphertext&& c) {
  Napi::Object o = make_obj(env);
  Obj* w = Obj::Unwrap(o);
  w->kind = K_CT;
  int64_t bytes = 0;
  for (auto& p : c.c) bytes += (int64_t)p.words() * 8;
  w->ct = std::make_unique<Ciphertext>(std::move(c));
  live_objects()++;
  w->account(bytes);
  return o;
}
Napi::Value wrap(Napi::Env env, Plaintext&& p) {
  Napi::Object o = make_obj(env);
  Obj* w = Obj::Unwrap(o);
  w->kind = K_PT;
  int64_t bytes = (int64_t)p.m.words() * 8;
  w->pt = std::make_unique<Plaintext>(std::move(p));
  live_objects()++;
  w->account(bytes);
  return o;
}
template <class T>
Napi::Value wrap_key(Napi::Env env, std::unique_ptr<T> k, int kind) {
  Napi::Object o = make_obj(env);
  Obj* w = Obj::Unwrap(o);
  w->kind = kind;
  if constexpr (std::is_same_v<T, SecretKey>) w->sk = std::move(k);
  if constexpr (std::is_same_v<T, PublicKey>) w->pk = std::move(k);
  if constexpr (std::is_same_v<T, EvalKeys>) w->evk = std::move(k);
  return o;
}

Obj* unwrap(const Napi::Value& v, const char* what) {
  if (!v.IsObject()) throw HecErr("HEC5107", std::string(what) + ": not a native cpu object");
  Napi::Object o = v.As<Napi::Object>();
  Obj* w = nullptr;
  napi_status st = napi_unwrap(v.Env(), o, reinterpret_cast<void**>(&w));
  if (st != napi_ok || w == nullptr) throw HecErr("HEC5107", std::string(what) + ": not a native cpu object");
  return w;
}
const Ciphertext& ct_of(const Napi::Value& v) {
  Obj* w = unwrap(v, "ciphertext");
  if (!w->ct) throw HecErr("HEC5107", "ciphertext was freed or is not a ciphertext");
  return *w->ct;
}
const Plaintext& pt_of(const Napi::Value& v) {
  Obj* w = unwrap(v, "plaintext");
  if (!w->pt) throw HecErr("HEC5107", "plaintext was freed or is not a plaintext");
  return *w->pt;
}
const SecretKey& sk_of(const Napi::Value& v) {
  Obj* w = unwrap(v, "secret key");
  if (!w->sk) throw HecErr("HEC5107", "secret key was freed or is not a secret key");
  return *w->sk;
}
const PublicKey& pk_of(const Napi::Value& v) {
  Obj* w = unwrap(v, "public key");
  if (!w->pk) throw HecErr("HEC5107", "public key was freed or is not a public key");
  return *w->pk;
}
EvalKeys& evk_loading(const Napi::Value& v) {
  Obj* w = unwrap(v, "evaluation keys");
  if (!w->evk) throw HecErr("HEC5107", "evaluation keys were freed or are not evaluation keys");
  return *w->evk;
}
const EvalKeys& evk_of(const Napi::Value& v) {
  EvalKeys& ek = evk_loading(v);
  if (!ek.complete)
    throw HecErr("HEC5113", "evaluation keys are still loading (" + std::to_string(ek.next_part) + " of " +
                                std::to_string(ek.manifest.count()) + " parts); finish loading every part first");
  return ek;
}
double num(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw HecErr("HEC5110", std::string(what) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}
int int_arg(const Napi::Value& v, const char* what) {
  double d = num(v, what);
  if (d != std::floor(d) || std::fabs(d) > 2e9) throw HecErr("HEC5110", std::string(what) + " must be an integer");
  return (int)d;
}
std::vector<u64> primes_arg(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw HecErr("HEC5110", std::string(what) + " must be an array of decimal strings");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<u64> out;
  for (uint32_t i = 0; i < a.Length(); i++) {
    std::string s = a.Get(i).ToString();
    if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos)
      throw HecErr("HEC5110", std::string(what) + ": not a decimal prime: " + s);
    out.push_back(std::stoull(s));
  }
  return out;
}
std::pair<const uint8_t*, size_t> bytes_arg(const Napi::Value& v) {
  if (!v.IsTypedArray()) throw HecErr("HEC5108", "expected a Uint8Array of serialized bytes");
  Napi::TypedArray t = v.As<Napi::TypedArray>();
  if (t.TypedArrayType() != napi_uint8_array) throw HecErr("HEC5108", "expected a Uint8Array of serialized bytes");
  Napi::Uint8Array u = v.As<Napi::Uint8Array>();
  return {u.Data(), u.ByteLength()};
}
// Copies into a V8-owned buffer. (Handing the vector over as an external ArrayBuffer would save the copy, but its
// finalizer only runs on a later macrotask, so a loop of awaited key parts — microtasks only — kept every part's
// ~80 MB alive until the loop ended.)
Napi::Value to_bytes(Napi::Env env, const std::vector<uint8_t>& b) {
  auto out = Napi::Uint8Array::New(env, b.size());
  std::memcpy(out.Data(), b.data(), b.size());
  return out;
}
std::vector<u64> galois_of(CkksContext& cx, const Napi::Value& rotations, bool conj) {
  std::vector<u64> gal;
  if (rotations.IsArray()) {
    Napi::Array a = rotations.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      u64 g = cx.galois_rot((long)int_arg(a.Get(i), "rotation"));
      if (g != 1) gal.push_back(g);
    }
  }
  if (conj) gal.push_back(cx.galois_conj());
  return gal;
}
Seed seed_arg(const Napi::Value& v, const char* what) {
  auto b = bytes_arg(v);
  if (b.second != 32) throw HecErr("HEC5110", std::string(what) + " must be 32 bytes");
  Seed s;
  std::memcpy(s.data(), b.first, 32);
  return s;
}

class Ctx : public Napi::ObjectWrap<Ctx> {
 public:
  static Napi::Function Init(Napi::Env env) {
#define M(name) InstanceMethod(#name, &Ctx::name)
    return DefineClass(env, "CkksContext",
                       {M(encode), M(encodeExt), M(decode), M(genSecretKey), M(genPublicKey), M(genEvalKeys), M(encryptPk),
                        M(encryptSk), M(decrypt), M(add), M(sub), M(negate), M(addPlain), M(mulPlain), M(addConst),
                        M(mulConst), M(mul), M(rescale), M(dropTo), M(levelDrop), M(rotate), M(rotateHoisted),
                        M(conjugate), M(modRaise), M(linearTransform), M(linComb), M(serialize), M(loadCiphertext),
                        M(loadPlaintext), M(loadSecretKey), M(loadPublicKey), M(paramsBytes), M(benchNtt),
                        M(galoisElement), M(fingerprint), M(clone), M(nttForward), M(nttInverse), M(nttPsi),
                        M(primeCount), M(evalKeyManifest), M(genEvalKeyPart), M(evalKeyPartBytes), M(evalKeysBytes), M(toSparse), M(fromSparse), M(beginEvalKeys),
                        M(secretKeyHammingWeight),
                        M(addEvalKeyPart), M(finishEvalKeys)});
#undef M
  }
  std::unique_ptr<CkksContext> cx;

  Ctx(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Ctx>(info) {
    guard(info.Env(), [&]() -> Napi::Value {
      if (!info[0].IsObject()) throw HecErr("HEC5110", "CkksContext needs {logN, q, p, dnum}");
      Napi::Object o = info[0].As<Napi::Object>();
      int logN = int_arg(o.Get("logN"), "logN");
      if (logN < 3 || logN > 17) throw HecErr("HEC5110", "logN outside 3..17");
      cx = std::make_unique<CkksContext>(logN, primes_arg(o.Get("q"), "q"), primes_arg(o.Get("p"), "p"),
                                         int_arg(o.Get("dnum"), "dnum"));
      return info.Env().Undefined();
    });
  }

 private:
#define BODY(...) return guard(info.Env(), [&]() -> Napi::Value { __VA_ARGS__ })
  Napi::Value encode(const Napi::CallbackInfo& info) { return encode_impl(info, false); }
  // encodeExt: the same plaintext with residues mod the special primes too (inputs to linearTransform's double
  // hoisting); usable wherever a plaintext at its level is.
  Napi::Value encodeExt(const Napi::CallbackInfo& info) { return encode_impl(info, true); }
  Napi::Value encode_impl(const Napi::CallbackInfo& info, bool ext) {
    BODY({
      if (!info[0].IsTypedArray()) throw HecErr("HEC5110", "encode: re must be a Float64Array");
      auto re = info[0].As<Napi::Float64Array>();
      const size_t n = cx->N() / 2;
      if (re.ElementLength() != n) throw HecErr("HEC5110", "encode: expected " + std::to_string(n) + " slot values");
      std::vector<cplx> s(n);
      bool has_im = info[1].IsTypedArray();
      Napi::Float64Array im;
      if (has_im) {
        im = info[1].As<Napi::Float64Array>();
        if (im.ElementLength() != n) throw HecErr("HEC5110", "encode: im has the wrong length");
      }
      for (size_t i = 0; i < n; i++) {
        s[i] = cplx(re[i], has_im ? im[i] : 0.0);
        if (!std::isfinite(s[i].real()) || !std::isfinite(s[i].imag())) throw HecErr("HEC5110", "encode: non-finite slot value");
      }
      const int level = int_arg(info[2], "level");
      const double scale = num(info[3], "scale");
      return wrap(info.Env(), ext ? cx->encode_ext(s.data(), level, scale) : cx->encode(s.data(), level, scale));
    });
  }
  Napi::Value decode(const Napi::CallbackInfo& info) {
    BODY({
      const size_t n = cx->N() / 2;
      std::vector<cplx> s(n);
      cx->decode(pt_of(info[0]), s.data());
      auto re = Napi::Float64Array::New(info.Env(), n), im = Napi::Float64Array::New(info.Env(), n);
      for (size_t i = 0; i < n; i++) {
        re[i] = s[i].real();
        im[i] = s[i].imag();
      }
      Napi::Object o = Napi::Object::New(info.Env());
      o.Set("re", re);
      o.Set("im", im);
      return o;
    });
  }
  Napi::Value genSecretKey(const Napi::CallbackInfo& info) {
    BODY({ return wrap_key(info.Env(), cx->gen_secret(int_arg(info[0], "hammingWeight")), K_SK); });
  }
  // The Hamming weight a secret key declares (0 = dense); load_sk has checked the coefficients agree with it.
  Napi::Value secretKeyHammingWeight(const Napi::CallbackInfo& info) {
    BODY({ return Napi::Number::New(info.Env(), sk_of(info[0]).hamming); });
  }
  Napi::Value genPublicKey(const Napi::CallbackInfo& info) {
    BODY({ return wrap_key(info.Env(), cx->gen_public(sk_of(info[0])), K_PK); });
  }
  // All keys at once, in memory (benchmarks and tests; nothing serializes this object as a whole).
  Napi::Value genEvalKeys(const Napi::CallbackInfo& info) {
    BODY({
      const SecretKey& sk = sk_of(info[0]);
      const int sparse = info[4].IsNumber() ? int_arg(info[4], "sparseWeight") : 0;
      return wrap_key(info.Env(), cx->gen_eval(sk, info[1].ToBoolean(), galois_of(*cx, info[2], info[3].ToBoolean()), sparse), K_EVK);
    });
  }
  // Client side of streamed keys: the manifest (part 0) of a new key set -> {bytes, count}.
  Napi::Value evalKeyManifest(const Napi::CallbackInfo& info) {
    BODY({
      KeyManifest m = cx->eval_manifest(info[0].ToBoolean(), galois_of(*cx, info[1], info[2].ToBoolean()), info[3].ToBoolean());
      Napi::Object o = Napi::Object::New(info.Env());
      o.Set("count", Napi::Number::New(info.Env(), m.count()));
      o.Set("bytes", to_bytes(info.Env(), cx->save_manifest(m)));
      return o;
    });
  }
  // (sk, manifest bytes, index ≥ 1, seeded[, sparse secret]) -> part `index`: that switching key, generated,
  // serialized and dropped. The encapsulation keys need the set's ephemeral sparse secret.
  Napi::Value genEvalKeyPart(const Napi::CallbackInfo& info) {
    BODY({
      const SecretKey& sk = sk_of(info[0]);
      auto b = bytes_arg(info[1]);
      KeyManifest m = cx->load_manifest(b.first, b.second);
      int index = int_arg(info[2], "index");
      if (index < 1 || (u32)index >= m.count()) throw HecErr("HEC5110", "genEvalKeyPart: index outside 1..count-1");
      const SecretKey* sparse = info[4].IsObject() ? &sk_of(info[4]) : nullptr;
      SwitchKey k = cx->gen_key(sk, m.keys[(size_t)index - 1], sparse);
      return to_bytes(info.Env(), cx->save_switch_part(k, m, (u32)index, info[3].ToBoolean()));
    });
  }
  Napi::Value evalKeyPartBytes(const Napi::CallbackInfo& info) {
    BODY({ return Napi::Number::New(info.Env(), (double)cx->switch_part_bytes(info[0].ToBoolean())); });
  }
  // (manifest bytes, seeded) -> exact bytes of every part of the set, manifest included.
  Napi::Value evalKeysBytes(const Napi::CallbackInfo& info) {
    BODY({
      auto b = bytes_arg(info[0]);
      KeyManifest m = cx->load_manifest(b.first, b.second);
      double total = (double)b.second;
      for (u64 id : m.keys) total += (double)cx->switch_part_bytes(info[1].ToBoolean(), id);
      return Napi::Number::New(info.Env(), total);
    });
  }
  Napi::Value toSparse(const Napi::CallbackInfo& info) {
    BODY({ return wrap(info.Env(), cx->to_sparse(ct_of(info[0]), evk_of(info[1]))); });
  }
  Napi::Value fromSparse(const Napi::CallbackInfo& info) {
    BODY({ return wrap(info.Env(), cx->from_sparse(ct_of(info[0]), evk_of(info[1]))); });
  }
  // Server side: an (incomplete) evaluation-key object from the manifest, then one part at a time, then finish.
  Napi::Value beginEvalKeys(const Napi::CallbackInfo& info) {
    BODY({
      auto b = bytes_arg(info[0]);
      return wrap_key(info.Env(), cx->begin_evk(b.first, b.second), K_EVK);
    });
  }
  Napi::Value addEvalKeyPart(const Napi::CallbackInfo& info) {
    BODY({
      EvalKeys& ek = evk_loading(info[0]);
      auto b = bytes_arg(info[1]);
      cx->add_evk_part(ek, b.first, b.second);
      Obj* w = unwrap(info[0], "evaluation keys");
      const int64_t digits = (cx->L() + cx->alpha) / cx->alpha;  // ceil((L+1)/α)
      const int64_t key_bytes = 2 * digits * (int64_t)cx->N() * (cx->L() + 1 + cx->rc.K) * 8;
      w->account_more(key_bytes);
      return info.Env().Undefined();
    });
  }
  Napi::Value finishEvalKeys(const Napi::CallbackInfo& info) {
    BODY({
      cx->finish_evk(evk_loading(info[0]));
      return info.Env().Undefined();
    });
  }
  Napi::Value encryptPk(const Napi::CallbackInfo& info) {
    BODY({ return wrap(info.Env(), cx->encrypt_pk(pk_of(info[0]), pt_of(info[1]))); });
  }
  Napi::Value encryptSk(const Napi::CallbackInfo& info) {
    BODY({ return wrap(info.Env(), cx->encrypt_sk(sk_of(info[0]), pt_of(info[1]))); });
  }
  Napi::Value decrypt(const Napi::CallbackInfo& info) {
    BODY({ return wrap(info.Env(), cx->decrypt(sk_of(info[0]), ct_of(info[1]))); });
  }
  Napi::Value add(const Napi::CallbackInfo& info) { BODY({ return wrap(info.Env(), cx->add(ct_of(info[0]), ct_of(info[1]))); }); }
  Napi::Value sub(const Napi::CallbackInfo& info) { BODY({ return wrap(info.Env(), cx->sub(ct_of(info[0]), ct_of(info[1]))); }); }
  Napi::Value negate(const Napi::CallbackInfo& info) { BODY({ return wrap(info.Env(), cx->negate(ct_of(info[0]))); }); }
  Napi::Value addPlain(const Napi::CallbackInfo& info) {
    BODY({ return wrap(info.Env(), cx->add_plain(ct_of(info[0]), pt_of(info[1]))); });
  }
  Napi::Value mulPlain(const Napi::CallbackInfo& info) {
    BODY({ return wrap(info.Env(), cx->mul_plain(ct_of(info[0]), pt_of(info[1]))); });
  }
  Napi::Value addConst(const Napi::CallbackInfo& info) {
    BODY({
      cplx c(num(info[1], "re"), info[2].IsNumber() ? num(info[2], "im") : 0.0);
      return wrap(info.Env(), cx->add_const(ct_of(info[0]), c));
    });
  }
  Napi::Value mulConst(const Napi::CallbackInfo& info) {
    BODY({
      cplx c(num(info[1], "re"), info[2].IsNumber() ? num(info[2], "im") : 0.0);
      return wrap(info.Env(), cx->mul_const(ct_of(info[0]), c, num(info[3], "scale")));
    });
  }
  Napi::Value mul(const Napi::CallbackInfo& info) {
    BODY({ return wrap(info.Env(), cx->mul(ct_of(info[0]), ct_of(info[1]), evk_of(info[2]))); });
  }
  Napi::Value rescale(const Napi::CallbackInfo& info) { BODY({ return wrap(info.Env(), cx->rescale(ct_of(info[0]))); }); }
  Napi::Value dropTo(const Napi::CallbackInfo& info) {
    BODY({ return wrap(info.Env(), cx->drop_to(ct_of(info[0]), int_arg(info[1], "level"))); });
  }
  Napi::Value levelDrop(const Napi::CallbackInfo& info) {
    BODY({ return wrap(info.Env(), cx->level_drop(ct_of(info[0]), int_arg(info[1], "level"), num(info[2], "scale"))); });
  }
  Napi::Value rotate(const Napi::CallbackInfo& info) {
    BODY({ return wrap(info.Env(), cx->rotate(ct_of(info[0]), int_arg(info[1], "k"), evk_of(info[2]))); });
  }
  Napi::Value rotateHoisted(const Napi::CallbackInfo& info) {
    BODY({
      if (!info[1].IsArray()) throw HecErr("HEC5110", "rotateHoisted: ks must be an array");
      Napi::Array a = info[1].As<Napi::Array>();
      std::vector<long> ks;
      for (uint32_t i = 0; i < a.Length(); i++) ks.push_back(int_arg(a.Get(i), "k"));
      auto outs = cx->rotate_hoisted(ct_of(info[0]), ks, evk_of(info[2]));
      Napi::Array r = Napi::Array::New(info.Env(), outs.size());
      for (uint32_t i = 0; i < outs.size(); i++) r.Set(i, wrap(info.Env(), std::move(outs[i])));
      return r;
    });
  }
  // linearTransform(ct, babies: number[], giants: {rot: number, babies: number[], pts: Plaintext[]}[], evk)
  Napi::Value linearTransform(const Napi::CallbackInfo& info) {
    BODY({
      if (!info[1].IsArray() || !info[2].IsArray()) throw HecErr("HEC5110", "linearTransform: babies and giants must be arrays");
      Napi::Array ba = info[1].As<Napi::Array>(), ga = info[2].As<Napi::Array>();
      std::vector<long> babies;
      for (uint32_t i = 0; i < ba.Length(); i++) babies.push_back(int_arg(ba.Get(i), "baby rotation"));
      std::vector<LtGiant> giants;
      for (uint32_t i = 0; i < ga.Length(); i++) {
        if (!ga.Get(i).IsObject()) throw HecErr("HEC5110", "linearTransform: a giant step must be {rot, babies, pts}");
        Napi::Object o = ga.Get(i).As<Napi::Object>();
        if (!o.Get("babies").IsArray() || !o.Get("pts").IsArray())
          throw HecErr("HEC5110", "linearTransform: a giant step must be {rot, babies, pts}");
        Napi::Array tb = o.Get("babies").As<Napi::Array>(), tp = o.Get("pts").As<Napi::Array>();
        if (tb.Length() != tp.Length()) throw HecErr("HEC5110", "linearTransform: babies and pts differ in length");
        LtGiant g;
        g.rot = int_arg(o.Get("rot"), "giant rotation");
        for (uint32_t t = 0; t < tb.Length(); t++) g.terms.push_back({int_arg(tb.Get(t), "baby index"), &pt_of(tp.Get(t))});
        giants.push_back(std::move(g));
      }
      return wrap(info.Env(), cx->linear_transform(ct_of(info[0]), babies, giants, evk_of(info[3])));
    });
  }
  // linComb(cts: Ciphertext[], cs: number[], scales: number[], level?: number)
  Napi::Value linComb(const Napi::CallbackInfo& info) {
    BODY({
      if (!info[0].IsArray() || !info[1].IsArray() || !info[2].IsArray())
        throw HecErr("HEC5110", "linComb: cts, cs and scales must be arrays");
      Napi::Array a = info[0].As<Napi::Array>(), c = info[1].As<Napi::Array>(), s = info[2].As<Napi::Array>();
      std::vector<const Ciphertext*> xs;
      std::vector<double> cs, sc;
      for (uint32_t i = 0; i < a.Length(); i++) xs.push_back(&ct_of(a.Get(i)));
      for (uint32_t i = 0; i < c.Length(); i++) cs.push_back(num(c.Get(i), "constant"));
      for (uint32_t i = 0; i < s.Length(); i++) sc.push_back(num(s.Get(i), "scale"));
      return wrap(info.Env(), cx->lin_comb(xs, cs, sc, info[3].IsNumber() ? int_arg(info[3], "level") : -1));
    });
  }
  Napi::Value conjugate(const Napi::CallbackInfo& info) {
    BODY({ return wrap(info.Env(), cx->conjugate(ct_of(info[0]), evk_of(info[1]))); });
  }
  Napi::Value modRaise(const Napi::CallbackInfo& info) { BODY({ return wrap(info.Env(), cx->mod_raise(ct_of(info[0]))); }); }
  Napi::Value serialize(const Napi::CallbackInfo& info) {
    BODY({
      Obj* w = unwrap(info[0], "serialize");
      if (w->ct) return to_bytes(info.Env(), cx->save_ct(*w->ct));
      if (w->pt) return to_bytes(info.Env(), cx->save_pt(*w->pt));
      if (w->sk) return to_bytes(info.Env(), cx->save_sk(*w->sk));
      if (w->pk) return to_bytes(info.Env(), cx->save_pk(*w->pk));
      if (w->evk)
        throw HecErr("HEC5110", "evaluation keys are not serialized as one object: they travel in parts "
                                "(evalKeyManifest, genEvalKeyPart)");
      throw HecErr("HEC5107", "serialize: object was freed");
    });
  }
  Napi::Value loadCiphertext(const Napi::CallbackInfo& info) {
    BODY({
      auto b = bytes_arg(info[0]);
      return wrap(info.Env(), cx->load_ct(b.first, b.second));
    });
  }
  Napi::Value loadPlaintext(const Napi::CallbackInfo& info) {
    BODY({
      auto b = bytes_arg(info[0]);
      return wrap(info.Env(), cx->load_pt(b.first, b.second));
    });
  }
  Napi::Value loadSecretKey(const Napi::CallbackInfo& info) {
    BODY({
      auto b = bytes_arg(info[0]);
      return wrap_key(info.Env(), cx->load_sk(b.first, b.second), K_SK);
    });
  }
  Napi::Value loadPublicKey(const Napi::CallbackInfo& info) {
    BODY({
      auto b = bytes_arg(info[0]);
      return wrap_key(info.Env(), cx->load_pk(b.first, b.second), K_PK);
    });
  }
  Napi::Value paramsBytes(const Napi::CallbackInfo& info) { BODY({ return to_bytes(info.Env(), cx->save_params()); }); }
  // Times `runs` forward NTTs of limb `limb` in C++ (no N-API overhead in the measurement); returns ms per run.
  Napi::Value benchNtt(const Napi::CallbackInfo& info) {
    BODY({
      int limb = int_arg(info[0], "limb"), runs = int_arg(info[1], "runs");
      if (limb < 0 || limb >= (int)cx->rc.primes.size()) throw HecErr("HEC5110", "benchNtt: no such limb");
      const NttTable& t = *cx->rc.tab[limb];
      std::vector<u64> a(cx->N());
      Csprng rng;
      rng.uniform_mod(a.data(), a.size(), t.mod.q);
      auto out = Napi::Float64Array::New(info.Env(), runs);
      for (int r = 0; r < runs; r++) {
        auto t0 = std::chrono::steady_clock::now();
        t.forward(a.data());
        auto t1 = std::chrono::steady_clock::now();
        out[r] = std::chrono::duration<double, std::milli>(t1 - t0).count();
      }
      return out;
    });
  }
  // Test hooks: one limb through the forward/inverse NTT (BigUint64Array in, new BigUint64Array out).
  Napi::Value ntt_io(const Napi::CallbackInfo& info, bool fwd) {
    BODY({
      int limb = int_arg(info[0], "limb");
      if (limb < 0 || limb >= (int)cx->rc.primes.size()) throw HecErr("HEC5110", "ntt: no such limb");
      if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array)
        throw HecErr("HEC5110", "ntt: expected a BigUint64Array");
      auto in = info[1].As<Napi::TypedArrayOf<uint64_t>>();
      if (in.ElementLength() != cx->N()) throw HecErr("HEC5110", "ntt: wrong length");
      const NttTable& t = *cx->rc.tab[limb];
      std::vector<u64> a(in.Data(), in.Data() + cx->N());
      for (u64 v : a)
        if (v >= t.mod.q) throw HecErr("HEC5110", "ntt: input not reduced");
      if (fwd) t.forward(a.data());
      else t.inverse(a.data());
      auto out = Napi::TypedArrayOf<uint64_t>::New(info.Env(), cx->N(), napi_biguint64_array);
      std::memcpy(out.Data(), a.data(), a.size() * 8);
      return out;
    });
  }
  Napi::Value nttForward(const Napi::CallbackInfo& info) { return ntt_io(info, true); }
  Napi::Value nttInverse(const Napi::CallbackInfo& info) { return ntt_io(info, false); }
  Napi::Value nttPsi(const Napi::CallbackInfo& info) {
    BODY({
      int limb = int_arg(info[0], "limb");
      if (limb < 0 || limb >= (int)cx->rc.primes.size()) throw HecErr("HEC5110", "ntt: no such limb");
      return Napi::String::New(info.Env(), std::to_string(cx->rc.tab[limb]->psi));
    });
  }
  Napi::Value primeCount(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)cx->rc.primes.size()); }
  Napi::Value galoisElement(const Napi::CallbackInfo& info) {
    BODY({ return Napi::Number::New(info.Env(), (double)cx->galois_rot(int_arg(info[0], "k"))); });
  }
  Napi::Value fingerprint(const Napi::CallbackInfo& info) { BODY({ return Napi::Number::New(info.Env(), cx->fingerprint); }); }
  Napi::Value clone(const Napi::CallbackInfo& info) {
    BODY({
      Obj* w = unwrap(info[0], "clone");
      if (w->ct) {
        Ciphertext c;
        c.level = w->ct->level;
        c.scale = w->ct->scale;
        for (auto& p : w->ct->c) c.c.push_back(p.clone());
        return wrap(info.Env(), std::move(c));
      }
      if (w->pt) {
        Plaintext p;
        p.level = w->pt->level;
        p.scale = w->pt->scale;
        p.m = w->pt->m.clone();
        return wrap(info.Env(), std::move(p));
      }
      throw HecErr("HEC5107", "clone: not a live ciphertext or plaintext");
    });
  }
#undef BODY
};

// Test hook: ChaCha20 keystream (key 32 bytes, nonce 12 bytes, initial block counter, length) — RFC 8439 vectors.
Napi::Value ChaCha20(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Seed key = seed_arg(info[0], "chacha20 key");
    auto nonce = bytes_arg(info[1]);
    if (nonce.second != 12) throw HecErr("HEC5110", "chacha20: nonce must be 12 bytes");
    double ctr = num(info[2], "counter"), len = num(info[3], "length");
    if (ctr < 0 || ctr > 4294967295.0 || ctr != std::floor(ctr)) throw HecErr("HEC5110", "chacha20: counter is a u32");
    if (len < 0 || len > (double)(1 << 26) || len != std::floor(len)) throw HecErr("HEC5110", "chacha20: length outside 0..2^26");
    std::vector<uint8_t> out((size_t)len);
    chacha20_stream(key.data(), nonce.first, (uint32_t)ctr, out.data(), out.size());
    return to_bytes(info.Env(), out);
  });
}

// Test hook: n residues mod q expanded from (seed, nonce words) exactly as key loading does (SeededPrg::uniform_mod).
Napi::Value ExpandUniform(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    Seed s = seed_arg(info[0], "seed");
    if (!info[1].IsArray() || info[1].As<Napi::Array>().Length() != 3) throw HecErr("HEC5110", "expandUniform: nonce must be 3 words");
    Napi::Array na = info[1].As<Napi::Array>();
    uint32_t nn[3];
    for (uint32_t i = 0; i < 3; i++) {
      double d = num(na.Get(i), "nonce word");
      if (d < 0 || d > 4294967295.0 || d != std::floor(d)) throw HecErr("HEC5110", "expandUniform: nonce words are u32");
      nn[i] = (uint32_t)d;
    }
    std::vector<u64> q = primes_arg(info[2], "q");
    if (q.size() != 1 || q[0] < 2) throw HecErr("HEC5110", "expandUniform: q must be one decimal string ≥ 2 in an array");
    int n = int_arg(info[3], "n");
    if (n < 0 || n > (1 << 24)) throw HecErr("HEC5110", "expandUniform: n outside 0..2^24");
    SeededPrg prg(s.data(), nn[0], nn[1], nn[2]);
    auto out = Napi::TypedArrayOf<uint64_t>::New(info.Env(), (size_t)n, napi_biguint64_array);
    prg.uniform_mod(out.Data(), (size_t)n, q[0]);
    return out;
  });
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&]() -> Napi::Value {
    ThreadPool::instance().set_threads(int_arg(info[0], "threads"));
    return Napi::Number::New(info.Env(), ThreadPool::instance().threads());
  });
}
Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ThreadPool::instance().threads()); }
Napi::Value LiveObjects(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)live_objects().load()); }
Napi::Value IfmaAvailable(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), cpu_has_ifma()); }
Napi::Value SetIfma(const Napi::CallbackInfo& info) {
  set_ifma_enabled(info[0].ToBoolean());
  return Napi::Boolean::New(info.Env(), ifma_enabled());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->objCtor = Napi::Persistent(Obj::Init(env));
  env.SetInstanceData<AddonData>(data);
  exports.Set("CkksContext", Ctx::Init(env));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("getThreads", Napi::Function::New(env, GetThreads));
  exports.Set("liveObjects", Napi::Function::New(env, LiveObjects));
  exports.Set("ifmaAvailable", Napi::Function::New(env, IfmaAvailable));
  exports.Set("setIfma", Napi::Function::New(env, SetIfma));
  exports.Set("chacha20", Napi::Function::New(env, ChaCha20));
  exports.Set("expandUniform", Napi::Function::New(env, ExpandUniform));
  // 3: encapsulation key over q_0·p_0, secretKeyHammingWeight, secret-key files checked on load.
  exports.Set("engineVersion", Napi::Number::New(env, 3));
  return exports;
}

}  // namespace

NODE_API_MODULE(hec_cpu, Init)
