#include "agent_loop.hpp"

#include <durar/message.hpp>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <system_error>
#include <utility>

namespace durar::python {

namespace {

// The session lock is per process (a second process gets unavailable), so two agents of
// one Python process could open the same session and interleave its transcript: the
// module keeps its own registry of open sessions.
std::mutex claims_mutex;
std::set<std::string> claims;

bool claim_session(const std::string& id) {
  std::lock_guard lock(claims_mutex);
  return claims.insert(id).second;
}

void release_session(const std::string& id) {
  std::lock_guard lock(claims_mutex);
  claims.erase(id);
}

}  // namespace

agent_loop::agent_loop() : work_(asio::make_work_guard(io_)) {
  thread_ = std::thread([this] {
    // A throwing handler must not take the process down with std::terminate.
    for (;;) {
      try {
        io_.run();
        break;
      } catch (...) {
      }
    }
    exited_.set_value();
  });
}

agent_loop::~agent_loop() { shutdown(); }

result<std::shared_ptr<agent_loop>> agent_loop::open(agent_setup setup) {
  std::shared_ptr<agent_loop> loop(new agent_loop());
  auto built = loop->call(
      [l = loop.get(), s = std::move(setup)]() mutable { return l->build(std::move(s)); });
  if (!built) {
    loop->shutdown();
    return fail(built.error());
  }
  loop->facts_ = std::move(*built);
  return loop;
}

result<agent_facts> agent_loop::build(agent_setup setup) {
  if (!setup.state_dir.empty()) setup.cfg.paths.state_dir = setup.state_dir;
  rt_ = std::make_unique<runtime>(io_, std::move(setup.cfg));
  for (auto& def : setup.tools)
    if (auto added = rt_->add_tool(bridge(std::move(def))); !added) return fail(added.error());
  auto profile = rt_->agent(setup.agent_id);
  if (!profile) return fail(profile.error());
  profile_ = std::move(*profile);
  if (!setup.workspace.empty()) profile_.workspace = setup.workspace;
  overrides_.agent_id = profile_.id;
  overrides_.model = setup.model;
  overrides_.tool_choice = std::move(setup.tool_choice);

  auto store = rt_->sessions(profile_.id);
  if (!store) return fail(store.error());
  store_ = std::move(*store);
  key_ = rt_->session_key(profile_.id, setup.session_key);
  std::error_code ec;
  std::string claim = std::filesystem::weakly_canonical(store_->dir(), ec).string() + "\n" + key_;
  if (!claim_session(claim))
    return fail(errc::unavailable,
                "session " + key_ + " is already open in this process; close that agent first");
  claim_ = std::move(claim);
  auto opened = store_->open(key_);
  if (!opened) return fail(opened.error());
  session_ = std::move(*opened);
  if (auto made = make_agent(); !made) return fail(made.error());

  agent_facts facts;
  facts.agent_id = profile_.id;
  facts.session_key = key_;
  facts.model = agent_->options().model;
  facts.workspace = profile_.workspace;
  facts.state_dir = rt_->cfg().paths.state_dir;
  return facts;
}

result<void> agent_loop::make_agent() {
  auto made = rt_->make_agent(profile_, session_.get(), overrides_);
  if (!made) return fail(made.error());
  std::set<std::string> names;
  for (const auto& t : (*made)->options().tools)
    if (!names.insert(t->definition().name).second)
      return fail(errc::invalid_argument,
                  "two tools are named '" + t->definition().name + "'; tool names must be unique");
  agent_ = std::move(*made);
  agent_->subscribe([this](const agent_event& e) { on_event(e); });
  return {};
}

std::shared_ptr<tool> agent_loop::bridge(tool_definition def) {
  std::string name = def.name;
  return make_async_tool(
      std::move(def), [this, name](const json& args, tool_context ctx, tool_done done) {
        auto request = std::make_shared<tool_request>(name, args, ctx.tool_call_id, ctx.executor,
                                                      std::move(done));
        if (ctx.cancel.is_connected())
          ctx.cancel.assign(
              [flag = request->cancel_flag()](asio::cancellation_type) { flag->store(true); });
        // Without a run to serve it the request answers itself with an error when dropped.
        if (current_) {
          channel_item item;
          item.what = channel_item::kind::tool_call;
          item.call = std::move(request);
          current_->push(std::move(item));
        }
      });
}

void agent_loop::on_event(const agent_event& e) {
  if (!current_ || !current_->want_events()) return;
  channel_item item;
  item.event = to_json(e);
  current_->push(std::move(item));
}

result<void> agent_loop::add_tool(tool_definition def) {
  return call([this, def = std::move(def)]() mutable -> result<void> {
    if (!agent_) return fail(errc::unavailable, "the agent is closed");
    if (current_ || agent_->running())
      return fail(errc::unavailable, "tools cannot be added while the agent is running");
    if (auto added = rt_->add_tool(bridge(std::move(def))); !added) return added;
    // The agent's tool list is fixed when it is made: make it again, same session.
    return make_agent();
  });
}

result<void> agent_loop::set_tool_choice(durar::tool_choice choice) {
  return call([this, choice = std::move(choice)]() mutable -> result<void> {
    if (!agent_) return fail(errc::unavailable, "the agent is closed");
    if (current_ || agent_->running())
      return fail(errc::unavailable, "tool_choice cannot change while the agent is running");
    auto before = std::exchange(overrides_.tool_choice, std::move(choice));
    // The agent's options are fixed when it is made: make it again, same session.
    if (auto made = make_agent(); !made) {
      overrides_.tool_choice = std::move(before);
      return made;
    }
    return {};
  });
}

result<std::shared_ptr<run_channel>> agent_loop::start(std::string text, bool want_events) {
  return call([this, text = std::move(text),
               want_events]() mutable -> result<std::shared_ptr<run_channel>> {
    if (!agent_) return fail(errc::unavailable, "the agent is closed");
    if (current_ || agent_->running())
      return fail(errc::unavailable, "the agent is already running; wait for the run to end");
    auto channel = std::make_shared<run_channel>(want_events);
    current_ = channel;
    agent_->async_run(user_text(std::move(text)), [this, channel](result<run_result> r) {
      if (r && session_) (void)rt_->record_turn(*session_, r->final);
      if (current_ == channel) current_.reset();
      channel_item item;
      item.what = channel_item::kind::finished;
      item.outcome = std::move(r);
      channel->push(std::move(item));
    });
    return channel;
  });
}

session_view view_of(const durar::session& s) {
  session_view v;
  v.key = s.key();
  v.id = s.id();
  v.path = s.path();
  for (const auto& m : s.context()) v.messages.push_back(to_json(m));
  v.totals = s.totals();
  v.model = s.model();
  return v;
}

result<session_view> agent_loop::session() {
  return call([this]() -> result<session_view> {
    if (!session_) return fail(errc::unavailable, "the agent is closed");
    return view_of(*session_);
  });
}

void agent_loop::abort() {
  post([this] {
    if (agent_) agent_->abort();
  });
}

void agent_loop::steer(std::string text) {
  post([this, text = std::move(text)]() mutable {
    if (agent_) agent_->steer(user_text(std::move(text)));
  });
}

void agent_loop::follow_up(std::string text) {
  post([this, text = std::move(text)]() mutable {
    if (agent_) agent_->follow_up(user_text(std::move(text)));
  });
}

void agent_loop::teardown() {
  auto channel = std::move(current_);
  agent_.reset();  // aborts a run in progress without calling its handler
  session_.reset();
  if (!claim_.empty()) release_session(std::exchange(claim_, {}));
  if (channel) {
    channel_item item;
    item.what = channel_item::kind::finished;
    item.outcome = result<run_result>(fail(errc::cancelled, "the agent was closed"));
    channel->push(std::move(item));
  }
  // Posted: the abort's own cleanup (cancelling the HTTP transfer, which closes its
  // connection) is queued already and runs first, while the runtime still exists.
  asio::post(io_, [this] { release_runtime(); });
}

void agent_loop::release_runtime() {
  store_.reset();
  rt_.reset();
  work_.reset();  // the loop ends once what is left has run
}

void agent_loop::shutdown() {
  std::lock_guard once(shutdown_mutex_);
  {
    std::lock_guard lock(post_mutex_);
    if (!closed_) {
      closed_ = true;
      asio::post(io_, [this] { teardown(); });
    }
  }
  if (!thread_.joinable()) return;
  // Bounded: something still waiting on the loop (it should not) is cut off by stop().
  if (exited_.get_future().wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    io_.stop();
  thread_.join();
  // Stopped early: the runtime goes now, with no loop running beside it.
  store_.reset();
  rt_.reset();
}

bool agent_loop::closed() const {
  std::lock_guard lock(post_mutex_);
  return closed_;
}

}  // namespace durar::python
