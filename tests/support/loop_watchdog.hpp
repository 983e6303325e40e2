// watchdog(): ends a test's event loop after a time limit, as a failure,
// so that a test that awaits a condition on the loop never hangs.
#pragma once

#include <gtest/gtest.h>

#include <chrono>

#include "reactor/event_loop.hpp"

namespace basehttp::testing {

inline void watchdog(EventLoop& loop,
                     std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  loop.run_after(limit, [&loop] {
    ADD_FAILURE() << "watchdog: the loop ran too long";
    loop.stop();
  });
}

}  // namespace basehttp::testing
