// A small persistent thread pool for data parallelism across RNS limbs.
//
// RNS limbs are independent (CRT), so most ring work splits by limb with no synchronisation. parallel_for hands out
// indices from an atomic counter; the calling thread works too. Nested calls (from inside a task) run serially so
// that a parallel region never waits on itself.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hec {

class ThreadPool {
 public:
  static ThreadPool& instance();
  void set_threads(int n);  // total threads including the caller; 0 = hardware threads
  int threads() const { return nthreads_; }
  void parallel_for(size_t n, const std::function<void(size_t)>& fn);
  ~ThreadPool();

 private:
  ThreadPool();
  void start(int n);
  void stop();
  void worker();
  std::vector<std::thread> workers_;
  std::mutex mu_, run_mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(size_t)>* job_ = nullptr;
  size_t job_n_ = 0;
  std::atomic<size_t> next_{0};
  size_t gen_ = 0;
  int active_ = 0;
  bool quit_ = false;
  int nthreads_ = 1;
};

inline void parallel_for(size_t n, const std::function<void(size_t)>& fn) { ThreadPool::instance().parallel_for(n, fn); }

}  // namespace hec
