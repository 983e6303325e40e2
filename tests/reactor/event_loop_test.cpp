// Tests reactor/event_loop: posting across threads, stop, timers, run_soon,
// signals through signalfd, and stop() from a signal handler.
#include "reactor/event_loop.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <exception>
#include <thread>
#include <vector>

namespace basehttp {
namespace {

using std::chrono::milliseconds;

// Ends a test's loop after `limit` even if the awaited condition never comes.
void watchdog(EventLoop& loop, milliseconds limit = milliseconds(5000)) {
  loop.run_after(limit, [&loop] {
    ADD_FAILURE() << "watchdog: the loop ran too long";
    loop.stop();
  });
}

TEST(EventLoop, RunsPostedFunctionsOnTheLoopThread) {
  EventLoop loop;
  watchdog(loop);
  std::thread::id ran_on;
  std::thread poster([&] {
    loop.post([&] {
      ran_on = std::this_thread::get_id();
      loop.stop();
    });
  });
  loop.run();
  poster.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(EventLoop, PostsFromManyThreadsAllRun) {
  EventLoop loop;
  watchdog(loop);
  constexpr int kThreads = 4, kEach = 1000;
  int ran = 0;  // loop thread only
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        loop.post([&] {
          if (++ran == kThreads * kEach) loop.stop();
        });
      }
    });
  }
  loop.run();
  for (auto& poster : posters)
    poster.join();
  EXPECT_EQ(ran, kThreads * kEach);
}

TEST(EventLoop, StopBeforeRunReturnsAtOnce) {
  EventLoop loop;
  loop.stop();
  loop.run();  // would hang otherwise (the test's timeout catches it)
  SUCCEED();
}

TEST(EventLoop, StopFromAnotherThread) {
  EventLoop loop;
  watchdog(loop);
  std::atomic<bool> running{false};
  loop.post([&] { running = true; });
  std::thread stopper([&] {
    while (!running)
      std::this_thread::yield();
    loop.stop();
  });
  loop.run();
  stopper.join();
  EXPECT_TRUE(running);
}

TEST(EventLoop, TimersFireInDeadlineOrder) {
  EventLoop loop;
  watchdog(loop);
  std::vector<int> order;
  loop.run_after(milliseconds(30), [&] {
    order.push_back(3);
    loop.stop();
  });
  loop.run_after(milliseconds(10), [&] { order.push_back(1); });
  loop.run_after(milliseconds(20), [&] { order.push_back(2); });
  loop.run_after(milliseconds(0), [&] { order.push_back(0); });
  loop.run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(EventLoop, CancelledTimersDoNotFire) {
  EventLoop loop;
  watchdog(loop);
  bool fired = false;
  EventLoop::TimerId id = loop.run_after(milliseconds(5), [&] { fired = true; });
  loop.cancel(id);
  loop.cancel(id);      // twice is harmless
  loop.cancel(123456);  // unknown too
  loop.run_after(milliseconds(20), [&] { loop.stop(); });
  loop.run();
  EXPECT_FALSE(fired);
}

TEST(EventLoop, RepeatingTimerRunsUntilItCancelsItself) {
  EventLoop loop;
  watchdog(loop);
  int ticks = 0;
  EventLoop::TimerId id = 0;
  id = loop.run_every(milliseconds(1), [&] {
    if (++ticks == 5) {
      loop.cancel(id);
      loop.run_after(milliseconds(20), [&] { loop.stop(); });
    }
  });
  loop.run();
  EXPECT_EQ(ticks, 5);
}

TEST(EventLoop, RunSoonRunsAfterTheCurrentEvents) {
  EventLoop loop;
  watchdog(loop);
  std::vector<std::string> order;
  loop.post([&] {
    loop.run_soon([&] {
      order.push_back("soon");
      loop.run_soon([&] {
        order.push_back("soon-again");
        loop.stop();
      });
    });
    order.push_back("posted");
  });
  loop.run();
  EXPECT_EQ(order, (std::vector<std::string>{"posted", "soon", "soon-again"}));
}

TEST(EventLoop, ClockIsReadOncePerIteration) {
  EventLoop loop;
  watchdog(loop);
  loop.post([&] {
    auto first = loop.now();
    volatile long spin = 0;
    for (int i = 0; i < 1000000; ++i)
      spin = spin + i;
    EXPECT_EQ(loop.now(), first);
    EXPECT_GT(loop.wall_seconds(), 1700000000);
    loop.stop();
  });
  loop.run();
  EXPECT_GE(loop.iterations(), 1u);
}

TEST(EventLoop, DeliversWatchedSignalsThroughTheLoop) {
  std::atomic<int> received{0};
  {
    EventLoop loop;
    watchdog(loop);
    loop.watch_signals({SIGUSR2}, [&](int signal_number) {
      received = signal_number;
      loop.stop();
    });
    loop.post([] { pthread_kill(pthread_self(), SIGUSR2); });
    loop.run();
  }
  EXPECT_EQ(received, SIGUSR2);
  // The mask is restored: the signal is no longer blocked in this thread.
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  EXPECT_FALSE(sigismember(&mask, SIGUSR2));
}

TEST(EventLoop, SeveralSignalWatchesEachGetTheirOwn) {
  std::vector<int> first, second;
  {
    EventLoop loop;
    watchdog(loop);
    loop.watch_signals({SIGUSR1, SIGUSR2},
                       [&](int signal_number) { first.push_back(signal_number); });
    // A later watch adds SIGHUP and takes SIGUSR2 over.
    loop.watch_signals({SIGHUP, SIGUSR2}, [&](int signal_number) {
      second.push_back(signal_number);
      if (signal_number == SIGHUP) loop.stop();
    });
    loop.post([] {
      pthread_kill(pthread_self(), SIGUSR1);
      pthread_kill(pthread_self(), SIGUSR2);
      pthread_kill(pthread_self(), SIGHUP);
    });
    loop.run();
  }
  EXPECT_EQ(first, std::vector<int>{SIGUSR1});
  EXPECT_EQ(second, (std::vector<int>{SIGHUP, SIGUSR2}));  // signalfd reads in signal order
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  EXPECT_FALSE(sigismember(&mask, SIGHUP));
  EXPECT_FALSE(sigismember(&mask, SIGUSR1));
}

// Out of descriptors once the loop exists: watching signals still works,
// because it only widens the signalfd the loop made at construction (the
// one place allowed to fail), rather than making one and throwing EMFILE
// from an ordinary call.
TEST(EventLoop, WatchingSignalsNeedsNoNewDescriptor) {
  std::atomic<int> received{0};
  {
    EventLoop loop;
    watchdog(loop);
    rlimit original{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &original), 0);
    int lowest_free = ::dup(0);
    ::close(lowest_free);
    rlimit starved = original;
    starved.rlim_cur = static_cast<rlim_t>(lowest_free);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &starved), 0);
    bool threw = false;
    try {
      loop.watch_signals({SIGUSR2}, [&](int signal_number) {
        received = signal_number;
        loop.stop();
      });
    } catch (const std::exception&) {
      threw = true;
    }
    setrlimit(RLIMIT_NOFILE, &original);
    ASSERT_FALSE(threw);
    loop.post([] { pthread_kill(pthread_self(), SIGUSR2); });
    loop.run();
  }
  EXPECT_EQ(received, SIGUSR2);
}

EventLoop* g_loop_for_signal = nullptr;
void stop_from_handler(int) {
  g_loop_for_signal->stop();
}

TEST(EventLoop, StopIsSafeFromASignalHandler) {
  EventLoop loop;
  watchdog(loop);
  g_loop_for_signal = &loop;
  struct sigaction action {
  }, previous{};
  action.sa_handler = stop_from_handler;
  sigaction(SIGUSR1, &action, &previous);
  pthread_t loop_thread = pthread_self();
  std::atomic<bool> running{false};
  loop.post([&] { running = true; });
  std::thread sender([&] {
    while (!running)
      std::this_thread::yield();
    pthread_kill(loop_thread, SIGUSR1);
  });
  loop.run();
  sender.join();
  sigaction(SIGUSR1, &previous, nullptr);
  SUCCEED();
}

}  // namespace
}  // namespace basehttp
