// One background thread for the file work nobody should wait for: writing the session
// index after a change, fsyncing transcripts. Tasks run one at a time, in the order posted.
// The thread starts with the first task and is joined, after the queue drains, when the
// process exits.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>

namespace durar::detail {

// Queues `task`, to run no sooner than `at` (tasks due together run in the order posted);
// false once the process is exiting, in which case the caller does the work itself. At
// exit, tasks still waiting for their time run at once.
bool post_background(std::function<void()> task, std::chrono::steady_clock::time_point at = {});

// Runs every task posted before the call, those waiting for their time at once, and waits
// until they have run.
void drain_background();

// fsyncs the file at `p` on the background thread by `due` (or here when the thread is
// gone). Requests wait together: each flush takes every file asked for so far, so files
// written within one `due` window share one pass, and a file asked for twice is synced once.
// A request holds no descriptor while it waits: under load, sessions close faster than a
// disk fsyncs, and a backlog of open descriptors would run the process out of them. A batch
// larger than max_separate_syncs gets one syncfs(2) per folder instead of an fsync per file.
// A file renamed or removed meanwhile is skipped.
void sync_in_background(std::filesystem::path p, std::chrono::steady_clock::time_point due = {});
// Files asked for and not yet taken by a flush (tests).
std::size_t pending_syncs();
inline constexpr std::size_t max_separate_syncs = 64;

}  // namespace durar::detail
