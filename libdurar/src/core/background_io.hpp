// One background thread for the file work nobody should wait for: writing the session
// index after a change, fsyncing transcripts. Tasks run one at a time, in the order posted.
// The thread starts with the first task and is joined, after the queue drains, when the
// process exits.
#pragma once

#include <chrono>
#include <functional>

namespace durar::detail {

// Queues `task`, to run no sooner than `at` (tasks due together run in the order posted);
// false once the process is exiting, in which case the caller does the work itself. At
// exit, tasks still waiting for their time run at once.
bool post_background(std::function<void()> task, std::chrono::steady_clock::time_point at = {});

// Waits until every task posted before the call has run (tasks for later included).
void drain_background();

// fsyncs the file at `fd` on the background thread and closes `fd` (or does both here when
// the thread is gone). `fd` must be a descriptor of its own: a lock on another descriptor of
// the file is released when that one closes, whatever happens to this one.
void sync_and_close_in_background(int fd);

}  // namespace durar::detail
