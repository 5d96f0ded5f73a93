// Background commands: the runs exec moved out of the foreground, by id, until removed or
// the registry is destroyed (which kills what still runs).
#include "tools/process_registry.hpp"

#include <durar/message.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <csignal>

namespace durar {
namespace detail {
namespace {

// Finished runs kept for `process poll/log` before the oldest are forgotten.
constexpr std::size_t max_finished_runs = 64;

}  // namespace

void output_tail::append(std::string_view bytes) {
  total_ += bytes.size();
  if (cap_ == 0) return;
  buffer_.append(bytes);
  if (buffer_.size() > 2 * cap_) buffer_.erase(0, buffer_.size() - cap_);
}

std::string_view output_tail::kept() const noexcept {
  std::string_view all(buffer_);
  return all.size() > cap_ ? all.substr(all.size() - cap_) : all;
}

std::string_view output_tail::since(std::uint64_t from) const noexcept {
  std::string_view all = kept();
  const std::uint64_t first = total_ - all.size();
  if (from <= first) return all;
  if (from >= total_) return {};
  return all.substr(static_cast<std::size_t>(from - first));
}

std::string_view skip_partial_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < 3 && i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  return s.substr(i);
}

void append_note(std::string& text, std::string_view note) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (!text.empty()) text += "\n\n";
  text += note;
}

std::string compact_duration(std::int64_t ms) {
  if (ms < 0) ms = 0;
  const std::int64_t s = ms / 1000;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

result<std::shared_ptr<command_run>> command_run::start(asio::any_io_executor executor,
                                                        settings s) {
  auto run = std::make_shared<command_run>(executor, std::move(s));
  std::weak_ptr<command_run> weak = run;
  // The child holds its run until it exits (see the class comment).
  auto child = child_process::spawn(
      executor, run->settings_.spawn,
      [run](std::string_view bytes) {
        run->output_.append(bytes);
        if (run->on_output) run->on_output(bytes);
      },
      [run](child_exit e) { run->ended(e); });
  if (!child) return fail(child.error());
  run->child_ = *child;
  run->pid_ = (*child)->pid();
  run->started_at_ = now_ms();
  if (run->settings_.timeout.count() > 0) {
    run->timeout_timer_.expires_after(run->settings_.timeout);
    run->timeout_timer_.async_wait([weak](const asio::error_code& ec) {
      if (auto self = weak.lock(); self && !ec && self->running()) self->stop(stop_cause::timeout);
    });
  }
  return run;
}

command_run::command_run(asio::any_io_executor executor, settings s)
    : executor_(executor),
      settings_(std::move(s)),
      output_(settings_.max_output_bytes),
      timeout_timer_(executor) {}

// The child_process kills and reaps a child nobody holds any more.
command_run::~command_run() = default;

void command_run::stop(stop_cause why) {
  if (!running()) return;
  if (cause_ == stop_cause::none) cause_ = why;
  if (auto child = child_.lock()) child->kill_group(SIGKILL);
}

result<void> command_run::write_stdin(std::string_view data) {
  auto child = child_.lock();
  if (!child || !running()) return fail(errc::invalid_argument, "the process has exited");
  return child->write_stdin(data);
}

void command_run::close_stdin() {
  if (auto child = child_.lock()) child->close_stdin();
}

void command_run::ended(child_exit e) {
  exit_ = e;
  ended_at_ = now_ms();
  timeout_timer_.cancel();
  on_output = nullptr;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  // Keeps this run alive while waiters run, whoever held the last reference.
  auto self = shared_from_this();
  for (auto& [token, f] : waiters)
    if (f) f();
}

std::uint64_t command_run::when_done(std::function<void()> f) {
  if (!running()) {
    f();
    return 0;
  }
  const std::uint64_t token = next_token_++;
  waiters_.emplace_back(token, std::move(f));
  return token;
}

void command_run::forget(std::uint64_t token) {
  std::erase_if(waiters_, [token](const auto& w) { return w.first == token; });
}

}  // namespace detail

struct process_registry::impl {
  explicit impl(asio::any_io_executor ex) : executor(std::move(ex)) {}
  asio::any_io_executor executor;
  std::vector<std::shared_ptr<detail::command_run>> runs;  // oldest first
  std::uint64_t next_id = 1;
};

process_registry::process_registry(asio::any_io_executor executor)
    : impl_(std::make_unique<impl>(std::move(executor))) {}

process_registry::~process_registry() { kill_all(); }

std::vector<process_registry::status> process_registry::list() const {
  std::vector<status> out;
  for (auto it = impl_->runs.rbegin(); it != impl_->runs.rend(); ++it) {
    const auto& run = **it;
    status s;
    s.id = run.id;
    s.command = run.command();
    s.pid = run.pid();
    s.running = run.running();
    if (run.exit()) s.exit_code = run.exit()->code;
    s.started_at = run.started_at();
    out.push_back(std::move(s));
  }
  return out;
}

void process_registry::kill_all() {
  for (auto& run : impl_->runs) run->stop(detail::stop_cause::killed);
}

namespace detail {

asio::any_io_executor process_access::executor(const process_registry& r) {
  return r.impl_->executor;
}

std::string process_access::adopt(process_registry& r, std::shared_ptr<command_run> run) {
  auto& impl = *r.impl_;
  run->id = fmt::format("proc_{}", impl.next_id++);
  impl.runs.push_back(run);
  std::size_t finished = static_cast<std::size_t>(std::count_if(
      impl.runs.begin(), impl.runs.end(), [](const auto& p) { return !p->running(); }));
  for (auto it = impl.runs.begin(); finished > max_finished_runs && it != impl.runs.end();) {
    if (!(*it)->running()) {
      it = impl.runs.erase(it);
      --finished;
    } else {
      ++it;
    }
  }
  return run->id;
}

std::shared_ptr<command_run> process_access::find(const process_registry& r, std::string_view id) {
  for (const auto& run : r.impl_->runs)
    if (run->id == id) return run;
  return nullptr;
}

std::vector<std::shared_ptr<command_run>> process_access::runs(const process_registry& r) {
  return {r.impl_->runs.rbegin(), r.impl_->runs.rend()};
}

bool process_access::remove(process_registry& r, std::string_view id) {
  auto& runs = r.impl_->runs;
  auto it = std::find_if(runs.begin(), runs.end(), [id](const auto& p) { return p->id == id; });
  if (it == runs.end()) return false;
  (*it)->stop(stop_cause::killed);
  runs.erase(it);
  return true;
}

}  // namespace detail
}  // namespace durar
