// The runtime's state, shared by its files: the running generation (config snapshot plus
// the router built from it), the session stores, host tools and reload listeners.
#pragma once

#include <durar/runtime.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace durar {

namespace detail {

// One config and the router built from it. A turn holds its generation until it ends, so a
// reload never pulls the router out from under a call in flight.
struct runtime_generation {
  std::shared_ptr<const config> cfg;
  std::shared_ptr<model_router> router;
};

// A turn in flight: its session (and lock) and agent, alive until the turn's handler has
// run, or until the runtime goes, which ends them.
struct runtime_turn {
  std::unique_ptr<session> s;
  std::unique_ptr<durar::agent> a;
};

}  // namespace detail

struct runtime::impl {
  using generation = detail::runtime_generation;

  asio::io_context& io;
  runtime_options options;
  std::optional<load_options> source;  // how create() loaded the config; reload() repeats it
  std::shared_ptr<const generation> current;
  // For snapshot() from other threads; the loop's thread reads `current`.
  std::atomic<std::shared_ptr<const config>> published;
  // Replaced generations, kept while anything holds them and for a grace period after, for
  // callers that used a reference from cfg() or router() across a wait (an embeddings call).
  struct retired_generation {
    std::shared_ptr<const generation> gen;
    std::chrono::steady_clock::time_point since;
  };
  std::vector<retired_generation> retired;
  std::map<std::string, std::shared_ptr<session_store>, std::less<>> stores;
  std::vector<std::shared_ptr<tool>> host_tools;
  // Each agent's tools, built once per generation: a tool and its schema are immutable, so
  // turns share them; a new generation or host tool starts the cache afresh.
  struct tool_set {
    agent_profile profile;
    std::vector<std::shared_ptr<tool>> tools;
  };
  std::vector<tool_set> tool_sets;
  std::shared_ptr<process_registry> processes;
  // Turns in flight (expired entries are pruned as turns start). A running turn holds
  // itself through its agent's completion handler, so the runtime must end them itself.
  std::vector<std::weak_ptr<detail::runtime_turn>> turns;

  struct reload_hook {
    std::uint64_t id = 0;
    reload_listener listener;
    reload_check check;
  };
  std::vector<reload_hook> hooks;
  std::uint64_t next_hook_id = 1;

  impl(asio::io_context& ctx, config c, runtime_options opts);
  ~impl();

  [[nodiscard]] const config& cfg() const noexcept { return *current->cfg; }
  [[nodiscard]] model_router& router() const noexcept { return *current->router; }
  std::shared_ptr<model_router> make_router(const config& c) const;
  // Swaps in `next` (the router rebuilt when `rebuild_router`), retiring the old generation.
  void swap_in(std::shared_ptr<const config> next, bool rebuild_router);
};

}  // namespace durar
