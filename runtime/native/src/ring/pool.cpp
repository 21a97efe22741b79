#include "pool.h"

#include <exception>

namespace hec {

static thread_local bool tl_in_pool = false;

ThreadPool& ThreadPool::instance() {
  static ThreadPool p;
  return p;
}

ThreadPool::ThreadPool() {
  unsigned hw = std::thread::hardware_concurrency();
  start(hw == 0 ? 1 : (int)hw);
}
ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::start(int n) {
  nthreads_ = n < 1 ? 1 : n;
  quit_ = false;
  for (int i = 1; i < nthreads_; i++) workers_.emplace_back([this] { worker(); });
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void ThreadPool::set_threads(int n) {
  std::lock_guard<std::mutex> rg(run_mu_);
  if (n <= 0) {
    unsigned hw = std::thread::hardware_concurrency();
    n = hw == 0 ? 1 : (int)hw;
  }
  if (n == nthreads_) return;
  stop();
  start(n);
}

void ThreadPool::worker() {
  tl_in_pool = true;
  size_t seen = 0;
  for (;;) {
    const std::function<void(size_t)>* job;
    size_t n;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return quit_ || gen_ != seen; });
      if (quit_) return;
      seen = gen_;
      job = job_;
      n = job_n_;
    }
    for (size_t i; (i = next_.fetch_add(1)) < n;) (*job)(i);
    {
      std::lock_guard<std::mutex> g(mu_);
      // Every worker checks in once per generation, so none can hold a stale job when the next one starts.
      if (++active_ == (int)workers_.size()) done_cv_.notify_all();
    }
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn0) {
  if (n == 0) return;
  // Exceptions thrown in tasks are carried back to the caller (a throw on a worker thread would terminate node).
  std::exception_ptr err;
  std::mutex err_mu;
  std::function<void(size_t)> fn = [&](size_t i) {
    try {
      fn0(i);
    } catch (...) {
      std::lock_guard<std::mutex> g(err_mu);
      if (!err) err = std::current_exception();
    }
  };
  if (tl_in_pool || nthreads_ <= 1 || n == 1) {
    for (size_t i = 0; i < n; i++) fn0(i);
    return;
  }
  std::lock_guard<std::mutex> rg(run_mu_);
  {
    std::lock_guard<std::mutex> g(mu_);
    job_ = &fn;
    job_n_ = n;
    next_ = 0;
    active_ = 0;
    gen_++;
  }
  cv_.notify_all();
  tl_in_pool = true;
  for (size_t i; (i = next_.fetch_add(1)) < n;) fn(i);
  tl_in_pool = false;
  std::unique_lock<std::mutex> lk(mu_);
  done_cv_.wait(lk, [&] { return active_ == (int)workers_.size(); });
  lk.unlock();
  if (err) std::rethrow_exception(err);
}

}  // namespace hec
