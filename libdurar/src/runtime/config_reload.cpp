// Config reload: read the file again, see what changed, and either swap in the new snapshot
// or say that it takes a restart, as gateway.reload.mode asks. Runs on the loop's thread.
#include <durar/runtime.hpp>

#include "runtime/runtime_impl.hpp"

#include <algorithm>

namespace durar {

namespace {

// A replaced generation nobody holds is still kept this long: long enough for any call
// started from a reference to it (an embeddings request is bounded by 60 s) to end.
constexpr std::chrono::minutes retire_grace{5};

bool under(const config_change& c, std::string_view section) {
  return c.path == section ||
         (c.path.size() > section.size() && c.path.compare(0, section.size(), section) == 0 &&
          (c.path[section.size()] == '.' || c.path[section.size()] == '['));
}

bool any_under(const std::vector<config_change>& changes,
               std::initializer_list<std::string_view> sections) {
  return std::any_of(changes.begin(), changes.end(), [&](const config_change& c) {
    return std::any_of(sections.begin(), sections.end(),
                       [&](std::string_view s) { return under(c, s); });
  });
}

bool any_effect(const std::vector<config_change>& changes, reload_effect effect) {
  return std::any_of(changes.begin(), changes.end(),
                     [&](const config_change& c) { return c.effect == effect; });
}

}  // namespace

std::optional<reload_mode> parse_reload_mode(std::string_view text) noexcept {
  if (text.empty() || text == "hybrid") return reload_mode::hybrid;
  if (text == "off") return reload_mode::off;
  if (text == "hot") return reload_mode::hot;
  if (text == "restart") return reload_mode::restart;
  return std::nullopt;
}

std::string_view to_string(reload_mode mode) noexcept {
  switch (mode) {
    case reload_mode::off:
      return "off";
    case reload_mode::hot:
      return "hot";
    case reload_mode::restart:
      return "restart";
    case reload_mode::hybrid:
      return "hybrid";
  }
  return "hybrid";
}

std::string reload_report::describe_changes() const {
  std::string out;
  for (const auto& c : changes) {
    if (!out.empty()) out += ", ";
    out += c.path;
    if (c.effect != reload_effect::hot) out += " (" + std::string(to_string(c.effect)) + ")";
  }
  return out;
}

void runtime::impl::swap_in(std::shared_ptr<const config> next, bool rebuild_router) {
  auto gen = std::make_shared<generation>();
  gen->cfg = std::move(next);
  gen->router = rebuild_router ? make_router(*gen->cfg) : current->router;
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(retired, [&](const retired_generation& r) {
    return r.gen.use_count() == 1 && now - r.since > retire_grace;
  });
  retired.push_back({std::move(current), now});
  current = std::move(gen);
  published.store(current->cfg);
  tool_sets.clear();
}

result<reload_report> runtime::reload() {
  load_options opts;
  if (impl_->source) {
    opts = *impl_->source;
  } else if (!impl_->cfg().paths.config_file.empty()) {
    opts.paths.config_path = impl_->cfg().paths.config_file;
  } else {
    return fail(errc::invalid_argument, "this runtime's config was not read from a file");
  }
  auto next = load_config(opts);
  if (!next) return fail(next.error());
  return apply(std::move(*next));
}

result<reload_report> runtime::apply(config next, std::optional<reload_mode> mode) {
  reload_report report;
  report.mode = mode.value_or(
      parse_reload_mode(impl_->cfg().gateway.reload_mode).value_or(reload_mode::hybrid));
  report.changes = diff_config(impl_->cfg(), next);
  report.cfg = impl_->current->cfg;
  if (report.changes.empty()) return report;  // unchanged
  if (report.mode == reload_mode::off) {
    report.what = reload_report::outcome::ignored;
    return report;
  }
  for (const auto& h : impl_->hooks)
    if (h.check)
      if (auto ok = h.check(next); !ok) return fail(ok.error());

  const bool takes_effect = any_effect(report.changes, reload_effect::hot) ||
                            any_effect(report.changes, reload_effect::restart);
  const bool restart_only = any_effect(report.changes, reload_effect::restart);
  if ((report.mode == reload_mode::restart && takes_effect) ||
      (report.mode == reload_mode::hybrid && restart_only)) {
    report.what = reload_report::outcome::restart;
  } else {
    for (const auto& c : report.changes)
      if (c.effect == reload_effect::restart) report.pending_restart.push_back(c.path);
    // The router holds the catalog (providers, models, aliases), the default model and the
    // credentials; everything else is read from the snapshot where it is used.
    const bool rebuild = any_under(report.changes, {"models", "agents", "env", "$env"});
    const bool sessions = any_under(report.changes, {"session"});
    impl_->swap_in(std::make_shared<const config>(std::move(next)), rebuild);
    // Stores keep the reset policy they were made with: new ones take the new policy, and
    // sessions still open on the old ones finish there.
    if (sessions) impl_->stores.clear();
    report.what = reload_report::outcome::applied;
    report.cfg = impl_->current->cfg;
  }
  // A listener may remove itself (or others): call a copy.
  auto hooks = impl_->hooks;
  for (const auto& h : hooks)
    if (h.listener) h.listener(report);
  return report;
}

std::uint64_t runtime::on_reload(reload_listener listener, reload_check check) {
  const std::uint64_t id = impl_->next_hook_id++;
  impl_->hooks.push_back({id, std::move(listener), std::move(check)});
  return id;
}

void runtime::remove_reload_listener(std::uint64_t id) {
  std::erase_if(impl_->hooks, [id](const impl::reload_hook& h) { return h.id == id; });
}

}  // namespace durar
