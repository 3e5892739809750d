// A small persistent thread pool for the non-BLAS kernels (no OpenMP: it fights OpenBLAS's own threads).
// The calling thread is worker 0 and takes part in every job; size()-1 helper threads wait for work,
// spinning briefly (so back-to-back kernel calls do not pay a futex wake-up) and then sleeping on a
// condition variable. A job is a callback run once per worker id; parallelFor splits [0, n) statically.
// If the pool is already busy (a nested call, or a call from another JS thread), the job runs serially on
// the caller, which is always correct because the per-worker pieces are independent.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define TESSERA_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define TESSERA_RELAX() asm volatile("yield" ::: "memory")
#else
#define TESSERA_RELAX() std::this_thread::yield()
#endif

namespace tessera {

class ThreadPool {
 public:
  using Task = void (*)(void* ctx, int tid);

  ThreadPool(int threads, int spinMicros) : size_(std::max(1, threads)), spinMicros_(std::max(0, spinMicros)) {
    for (int t = 1; t < size_; t++) workers_.emplace_back([this, t] { loop(t); });
  }

  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }

  int size() const { return size_; }

  // Runs task(ctx, tid) for tid in [0, size()), on all workers at once when the pool is free.
  void run(Task task, void* ctx) {
    if (size_ == 1) {
      task(ctx, 0);
      return;
    }
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) {
      for (int t = 0; t < size_; t++) task(ctx, t);
      return;
    }
    task_ = task;
    ctx_ = ctx;
    remaining_.store(size_ - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(mu_);
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    task(ctx, 0);
    // wait for the helpers: spin first, then sleep
    if (remaining_.load(std::memory_order_acquire) != 0) {
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spinMicros_ * 4);
      int i = 0;
      while (remaining_.load(std::memory_order_acquire) != 0) {
        TESSERA_RELAX();
        if (++i % 64 == 0 && std::chrono::steady_clock::now() > until) {
          std::unique_lock<std::mutex> lk(doneMu_);
          doneCv_.wait(lk, [this] { return remaining_.load(std::memory_order_acquire) == 0; });
          break;
        }
      }
    }
  }

  // Splits [0, n) into at most size() contiguous pieces of at least `grain` items and calls
  // fn(tid, begin, end) on each; runs inline when there is only one piece.
  template <class F>
  void parallelFor(int64_t n, int64_t grain, F&& fn) {
    if (n <= 0) return;
    int64_t pieces = std::min<int64_t>(size_, std::max<int64_t>(1, n / std::max<int64_t>(1, grain)));
    if (pieces <= 1) {
      fn(0, int64_t(0), n);
      return;
    }
    struct Ctx {
      F* fn;
      int64_t n, pieces;
    } c{&fn, n, pieces};
    run(
        [](void* p, int tid) {
          Ctx* c = static_cast<Ctx*>(p);
          if (tid >= c->pieces) return;
          int64_t b = c->n * tid / c->pieces, e = c->n * (tid + 1) / c->pieces;
          if (b < e) (*c->fn)(tid, b, e);
        },
        &c);
  }

 private:
  void loop(int tid) {
    // generation 0 is the state at construction: a job posted before this thread first runs must not be
    // mistaken for one already done
    uint64_t seen = 0;
    for (;;) {
      // spin for a short while, then sleep until the generation changes
      auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spinMicros_);
      int i = 0;
      while (gen_.load(std::memory_order_acquire) == seen) {
        TESSERA_RELAX();
        if (++i % 64 == 0 && std::chrono::steady_clock::now() > until) {
          std::unique_lock<std::mutex> lk(mu_);
          cv_.wait(lk, [&] { return gen_.load(std::memory_order_acquire) != seen; });
          break;
        }
      }
      seen = gen_.load(std::memory_order_acquire);
      if (stop_.load(std::memory_order_acquire)) return;
      task_(ctx_, tid);
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(doneMu_);
        doneCv_.notify_one();
      }
    }
  }

  const int size_;
  const int spinMicros_;
  std::vector<std::thread> workers_;
  std::mutex busy_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::mutex doneMu_;
  std::condition_variable doneCv_;
  std::atomic<uint64_t> gen_{0};
  std::atomic<int> remaining_{0};
  Task task_ = nullptr;
  void* ctx_ = nullptr;
  std::atomic<bool> stop_{false};
};

}  // namespace tessera
