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
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
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
  int level = 0;       // how many times in a row it failed
  std::string reason;  // errc name
};

// Embeddings: one vector per input, in input order. `model` is "provider/model" of a model
// the provider serves for embeddings (the chat catalog need not list it). The wire follows
// the provider's api: OpenAI-compatible POST {baseUrl}/embeddings, Gemini
// batchEmbedContents, Ollama POST /api/embed. Inputs are sent in batches the vendor
// accepts; keys rotate on rate limits as for completions.
struct embedding_request {
  std::string model;
  std::vector<std::string> inputs;
  std::optional<int> dimensions;  // where the vendor can shorten vectors
  std::chrono::milliseconds total_timeout{60'000};
};

struct embedding_result {
  model_ref ref;
  std::vector<std::vector<float>> vectors;
  std::int64_t input_tokens = 0;  // as reported; 0 when the vendor doesn't say
};

// What probing one local server found.
struct discovery_report {
  std::string provider;  // "ollama", "vllm", "sglang", "lmstudio"
  std::string base_url;
  bool reachable = false;
  std::vector<model_info> models;  // added to the router's catalog
  durar::error failure;            // why not, when unreachable or the answer was unusable
};

struct router_options {
  std::filesystem::path state_dir;  // cooldowns.json lives here; "" keeps them in memory
  std::chrono::milliseconds retry_after_cap{5000};               // longer waits rotate instead
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
  // The io_context everything runs on (the agent runs its timers and tools there too).
  [[nodiscard]] asio::io_context& io() const noexcept;
  // The config the router was built from (the agent reads its compaction settings).
  [[nodiscard]] const config& cfg() const noexcept;
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

  // Embeds `inputs`; `done` is called exactly once. Unknown provider, an api without
  // embeddings (anthropic-messages) or no key: an error naming what is missing.
  void async_embed(embedding_request request, std::function<void(result<embedding_result>)> done,
                   asio::cancellation_slot cancel = {});
  result<embedding_result> embed(embedding_request request);  // blocking, as complete()

  // Probes the listing endpoint of every local provider in the catalog (Ollama
  // 127.0.0.1:11434, vLLM :8000, SGLang :30000, LM Studio :1234, and config-defined ones
  // marked local) with a short timeout, and adds the models found to models(). Servers
  // that are not running are reported unreachable, never an error.
  void async_discover(std::function<void(std::vector<discovery_report>)> done,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(1500));
  std::vector<discovery_report> discover(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(1500));

 private:
  std::shared_ptr<detail::router_state> impl_;  // shared with calls still in flight
};

}  // namespace durar
