// Tools from plain functions: the handler's failures, thrown or returned, become error
// results the model reads, and `done` runs exactly once.
#include <durar/tool.hpp>

#include <atomic>
#include <exception>
#include <utility>

namespace durar {

tool_result text_result(std::string text, json details) {
  tool_result r;
  r.content.emplace_back(text_block{std::move(text), {}});
  r.details = std::move(details);
  return r;
}

tool_result error_result(std::string text, json details) {
  tool_result r = text_result(std::move(text), std::move(details));
  r.is_error = true;
  return r;
}

namespace {

std::string exception_text(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& ex) {
    std::string what = ex.what();
    return what.empty() ? std::string("tool failed: unknown error") : what;
  } catch (...) {
    return "tool failed: unknown error";
  }
}

class function_tool final : public tool {
 public:
  function_tool(tool_definition definition, sync_tool_handler handler, bool sequential)
      : definition_(std::move(definition)), handler_(std::move(handler)), sequential_(sequential) {}

  [[nodiscard]] const tool_definition& definition() const noexcept override { return definition_; }
  [[nodiscard]] bool sequential() const noexcept override { return sequential_; }

  void async_run(const json& arguments, tool_context ctx, tool_done done) override {
    tool_result out;
    try {
      auto r = handler_(arguments, ctx);
      out = r ? std::move(r).value() : error_result(std::move(r).error().message);
    } catch (...) {
      out = error_result(exception_text(std::current_exception()));
    }
    // Outside the try: an exception from `done` is the caller's, and must not call it twice.
    done(std::move(out));
  }

 private:
  tool_definition definition_;
  sync_tool_handler handler_;
  bool sequential_;
};

class async_function_tool final : public tool {
 public:
  async_function_tool(tool_definition definition, async_tool_handler handler, bool sequential)
      : definition_(std::move(definition)), handler_(std::move(handler)), sequential_(sequential) {}

  [[nodiscard]] const tool_definition& definition() const noexcept override { return definition_; }
  [[nodiscard]] bool sequential() const noexcept override { return sequential_; }

  void async_run(const json& arguments, tool_context ctx, tool_done done) override {
    // Shared so a handler that throws after handing `done` on still finishes only once.
    auto state = std::make_shared<once_state>();
    state->done = std::move(done);
    tool_done guarded = [state](tool_result r) { state->finish(std::move(r)); };
    try {
      handler_(arguments, std::move(ctx), std::move(guarded));
    } catch (...) {
      state->finish(error_result(exception_text(std::current_exception())));
    }
  }

 private:
  struct once_state {
    std::atomic<bool> called{false};
    tool_done done;
    void finish(tool_result r) {
      if (called.exchange(true)) return;
      auto fn = std::move(done);
      if (fn) fn(std::move(r));
    }
  };

  tool_definition definition_;
  async_tool_handler handler_;
  bool sequential_;
};

}  // namespace

std::shared_ptr<tool> make_tool(tool_definition definition, sync_tool_handler handler,
                                bool sequential) {
  return std::make_shared<function_tool>(std::move(definition), std::move(handler), sequential);
}

std::shared_ptr<tool> make_async_tool(tool_definition definition, async_tool_handler handler,
                                      bool sequential) {
  return std::make_shared<async_function_tool>(std::move(definition), std::move(handler),
                                               sequential);
}

}  // namespace durar
