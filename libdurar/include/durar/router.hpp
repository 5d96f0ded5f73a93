// The router: one call to "a model" becomes attempts on concrete (provider, model, key)
// triples: the primary, then the fallbacks; API keys rotated on rate limits only; a
// cooldown per (credential, model) after failures, persisted in the state dir.
//
// A failover before the first content event is invisible to the caller (the `start` event
// is held back until content arrives); after it, the error arrives with the partial message.
#pragma once

#include <durar/catalog.hpp>
#include <durar/config.hpp>
#include <durar/export.hpp>
#include <durar/message.hpp>
#include <durar/provider.hpp>
#include <durar/result.hpp>

#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace durar {

namespace detail {
struct router_state;  // opaque
}

struct completion_request {
  std::string model;                   // ref or alias; "" = agents.defaults.model.primary
  std::vector<std::string> fallbacks;  // used when `model` is set; else the config's
  conversation conv;
  request_options options;
};

// Observability: every attempt, every failure, every cooldown.
struct route_event {
  enum class kind { attempt, failed, cooldown };
  kind what = kind::attempt;
  model_ref ref;
  std::string credential;  // where the key came from ("OPENAI_API_KEY"), never the key
  int attempt = 0;         // 1-based, across the whole call
  durar::error failure;    // failed and cooldown
  std::chrono::milliseconds cooldown{0};
};
DURAR_API std::string_view to_string(route_event::kind k) noexcept;  // "route_attempt", ...

struct cooldown_entry {
  std::string provider;
  std::string model;
  std::string credential;  // source name plus a short fingerprint, never the key
  std::chrono::system_clock::time_point until;
  int level = 0;           // how many times in a row it failed
  std::string reason;      // errc name
};

struct router_options {
  std::filesystem::path state_dir;  // cooldowns.json lives here; "" keeps them in memory
  std::chrono::milliseconds retry_after_cap{5000};  // longer waits rotate instead
  std::function<std::chrono::system_clock::time_point()> clock;  // default: system_clock
};

class DURAR_API model_router {
 public:
  // Everything runs on `io`; the router must outlive the calls it started.
  model_router(asio::io_context& io, const config& cfg, router_options options = {});
  ~model_router();
  model_router(const model_router&) = delete;
  model_router& operator=(const model_router&) = delete;

  [[nodiscard]] const catalog& models() const noexcept;
  // Hosts add providers and wire APIs at run time; they get the same routing as built-ins.
  result<void> add_provider(provider_info provider);
  void add_transport(std::string api_name, std::shared_ptr<const transport> t);
  void on_route(std::function<void(const route_event&)> observer);

  // Streams one completion. `on_event` sees the protocol of provider.hpp; `done` is called
  // exactly once, last, with the final message (stop, length or tool_use) or the error.
  // Emitting `cancel` aborts the call: an error event with stop_reason::aborted.
  void async_complete(completion_request request, event_callback on_event,
                      std::function<void(result<assistant_message>)> done,
                      asio::cancellation_slot cancel = {});

  // Blocking form of async_complete, driving `io` until the call finishes. Not from a thread
  // that is running `io`.
  result<assistant_message> complete(completion_request request, event_callback on_event = {});

  [[nodiscard]] std::vector<cooldown_entry> cooldowns() const;

 private:
  std::shared_ptr<detail::router_state> impl_;  // shared with calls still in flight
};

}  // namespace durar
