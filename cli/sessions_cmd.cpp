// durar sessions: list, show, reset, compact, export and clean up stored conversations.
#include <durar/runtime.hpp>

#include <fmt/format.h>

#include "agent_output.hpp"
#include "approval.hpp"
#include "context.hpp"
#include "output.hpp"

#include <fstream>

namespace durar::cli {

namespace {

struct opened_runtime {
  asio::io_context io;
  std::unique_ptr<runtime> rt;
  std::shared_ptr<session_store> store;
  agent_profile profile;
};

// `warn`: whether the store prints maintenance's mode-warn warnings (what enforce would
// remove) on stderr, as the other commands do; cleanup prints its plan instead.
result<std::unique_ptr<opened_runtime>> open_store(const context& ctx, const parsed_args& args,
                                                   bool warn = true) {
  auto o = std::make_unique<opened_runtime>();
  runtime_options options;
  if (warn) options.sessions.warn = terminal_runtime_options().sessions.warn;
  auto rt = runtime::create(o->io, ctx.load(), std::move(options));
  if (!rt) return fail(rt.error());
  o->rt = std::move(*rt);
  auto profile = o->rt->agent(args.value("agent").value_or(""));
  if (!profile) return fail(profile.error());
  o->profile = *profile;
  auto store = o->rt->sessions(profile->id);
  if (!store) return fail(store.error());
  o->store = *store;
  return o;
}

std::string key_arg(const opened_runtime& o, const parsed_args& args) {
  std::string key = args.positional.empty() ? "" : args.positional[0];
  return o.rt->session_key(o.profile.id, key);
}

std::string age(std::int64_t ms) {
  std::int64_t s = (now_ms() - ms) / 1000;
  if (ms <= 0) return "-";
  if (s < 60) return "just now";
  if (s < 3600) return fmt::format("{}m ago", s / 60);
  if (s < 86400) return fmt::format("{}h ago", s / 3600);
  return fmt::format("{}d ago", s / 86400);
}

// The model the session talks to: the user's override, else the one the last turn used.
std::string model_of(const session_info& i) {
  auto ref = [](const std::string& provider, const std::string& model) {
    return provider.empty() ? model : provider + "/" + model;
  };
  if (!i.model_override.empty()) return ref(i.provider_override, i.model_override);
  if (!i.model.empty()) return ref(i.model_provider, i.model);
  return "";
}

json info_json(const session_info& i) {
  return json::object({{"key", i.key},
                       {"sessionId", i.session_id},
                       {"updatedAt", i.updated_at},
                       {"model", model_of(i)},
                       {"inputTokens", i.input_tokens},
                       {"outputTokens", i.output_tokens},
                       {"totalTokens", i.total_tokens},
                       {"contextTokens", i.context_tokens},
                       {"compactionCount", i.compaction_count}});
}

int list(context& ctx, const parsed_args& args) {
  auto o = open_store(ctx, args);
  if (!o) return fail_with(ctx, exit_failure, o.error().message);
  auto all = (*o)->store->list();
  if (!all) return fail_with(ctx, exit_failure, all.error().message);
  if (ctx.globals.json) {
    json items = json::array();
    for (const auto& i : *all) items.push_back(info_json(i));
    print_json(json::object({{"count", static_cast<std::int64_t>(all->size())},
                             {"agentId", (*o)->profile.id},
                             {"sessions", std::move(items)}}));
    return exit_ok;
  }
  if (all->empty()) {
    print(stdout, "No sessions for agent " + (*o)->profile.id + " yet.\n");
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows{{"KEY", "UPDATED", "MODEL", "TOKENS", "SESSION"}};
  for (const auto& i : *all)
    rows.push_back({i.key, age(i.updated_at), model_of(i).empty() ? "-" : model_of(i),
                    std::to_string(i.total_tokens), i.session_id});
  print(stdout, format_table(rows));
  return exit_ok;
}

std::string text_blocks(const std::vector<content_block>& blocks) {
  std::string out;
  for (const auto& b : blocks) {
    if (auto* t = std::get_if<text_block>(&b)) out += t->text;
    if (std::holds_alternative<image_block>(b)) out += "[image]";
  }
  return out;
}

int show(context& ctx, const parsed_args& args) {
  auto o = open_store(ctx, args);
  if (!o) return fail_with(ctx, exit_failure, o.error().message);
  std::string key = key_arg(**o, args);
  auto s = (*o)->store->read(key);
  if (!s) return fail_with(ctx, exit_failure, s.error().message);
  for (const auto& w : (*s)->report().warnings) print(stderr, ctx.styles.yellow(w) + "\n");
  if (ctx.globals.json) {
    json entries = json::array();
    for (const auto& e : (*s)->entries()) entries.push_back(e.raw);
    print_json(json::object({{"key", key}, {"sessionId", (*s)->id()}, {"entries", entries}}));
    return exit_ok;
  }
  for (const message& m : (*s)->context()) {
    if (auto* u = std::get_if<user_message>(&m)) {
      print(stdout, ctx.styles.bold("you: ") + text_blocks(u->content) + "\n");
    } else if (auto* a = std::get_if<assistant_message>(&m)) {
      std::string text = text_of(*a);
      if (!text.empty()) print(stdout, ctx.styles.green("assistant: ") + text + "\n");
      for (const auto* call : tool_calls_of(*a))
        print(stdout, ctx.styles.dim("  -> " + describe_tool_call(*call)) + "\n");
      if (a->stop == stop_reason::error || a->stop == stop_reason::aborted)
        print(stdout,
              ctx.styles.yellow("  (" + std::string(to_string(a->stop)) +
                                (a->error_message.empty() ? "" : ": " + a->error_message) + ")") +
                  "\n");
    } else if (auto* t = std::get_if<tool_result_message>(&m)) {
      std::string text = text_blocks(t->content);
      if (text.size() > 200) text = text.substr(0, 200) + "...";
      print(stdout,
            ctx.styles.dim("  <- " + t->tool_name + (t->is_error ? " (error)" : "") + ": " + text) +
                "\n");
    }
  }
  return exit_ok;
}

int reset(context& ctx, const parsed_args& args) {
  auto o = open_store(ctx, args);
  if (!o) return fail_with(ctx, exit_failure, o.error().message);
  // The store would start an unknown key afresh, which is what a chat's /new wants; here an
  // unknown key is most likely a typo, and a new empty session is not what was asked for.
  const std::string key = key_arg(**o, args);
  auto known = (*o)->store->find(key);
  if (!known) return fail_with(ctx, exit_failure, known.error().message);
  if (!*known)
    return fail_with(ctx, exit_failure,
                     "no session " + key + " ('durar sessions list' shows the stored ones)");
  auto r = (*o)->store->reset(key);
  if (!r) return fail_with(ctx, exit_failure, r.error().message);
  if (ctx.globals.json) {
    print_json(info_json(*r));
  } else {
    print(stdout, "Reset " + r->key + "; new session " + r->session_id + "\n");
  }
  return exit_ok;
}

int compact(context& ctx, const parsed_args& args) {
  auto o = open_store(ctx, args);
  if (!o) return fail_with(ctx, exit_failure, o.error().message);
  auto s = (*o)->store->open(key_arg(**o, args));
  if (!s) return fail_with(ctx, exit_failure, s.error().message);
  auto a = (*o)->rt->make_agent((*o)->profile, s->get());
  if (!a) return fail_with(ctx, exit_failure, a.error().message);
  auto r = (*a)->compact(args.value("instructions").value_or(""));
  if (!r) return fail_with(ctx, exit_failure, r.error().detail());
  if (ctx.globals.json) {
    print_json(json::object({{"summary", r->summary},
                             {"firstKeptEntryId", r->first_kept_entry_id},
                             {"tokensBefore", r->tokens_before}}));
  } else if (r->summary.empty()) {
    print(stdout, "Nothing to compact yet.\n");
  } else {
    print(stdout,
          fmt::format("Compacted {} tokens of history into a summary.\n", r->tokens_before));
  }
  return exit_ok;
}

int export_session(context& ctx, const parsed_args& args) {
  auto o = open_store(ctx, args);
  if (!o) return fail_with(ctx, exit_failure, o.error().message);
  auto s = (*o)->store->read(key_arg(**o, args));
  if (!s) return fail_with(ctx, exit_failure, s.error().message);
  std::string format = args.value("format").value_or("jsonl");
  std::string out;
  if (format == "jsonl") {
    std::ifstream in((*s)->path(), std::ios::binary);
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else if (format == "md" || format == "markdown") {
    out = "# Session " + (*s)->id() + "\n\n";
    for (const message& m : (*s)->context()) {
      if (auto* u = std::get_if<user_message>(&m))
        out += "## User\n\n" + text_blocks(u->content) + "\n\n";
      else if (auto* a = std::get_if<assistant_message>(&m)) {
        out += "## Assistant\n\n" + text_of(*a) + "\n\n";
        for (const auto* call : tool_calls_of(*a))
          out += "- tool `" + call->name + "` " + call->arguments.dump() + "\n";
      } else if (auto* t = std::get_if<tool_result_message>(&m))
        out += "### Tool result (" + t->tool_name + ")\n\n```\n" + text_blocks(t->content) +
               "\n```\n\n";
    }
  } else {
    return fail_with(ctx, exit_usage, "--format must be jsonl or md, not '" + format + "'");
  }
  if (auto path = args.value("output")) {
    std::ofstream f(*path, std::ios::binary | std::ios::trunc);
    if (!f || !(f << out)) return fail_with(ctx, exit_failure, "cannot write " + *path);
    print(stderr, "Wrote " + *path + "\n");
  } else {
    print(stdout, out);
  }
  return exit_ok;
}

json cleanup_json(const std::string& agent, const session_store& store, std::string_view mode,
                  bool dry_run, const maintenance_report& r) {
  auto n = [](std::size_t v) { return static_cast<std::int64_t>(v); };
  json out = json::object({{"agentId", agent},
                           {"storePath", (store.dir() / "sessions.json").string()},
                           {"mode", std::string(mode)},
                           {"dryRun", dry_run},
                           {"beforeCount", n(r.before)},
                           {"afterCount", n(r.after)},
                           {"missing", n(r.missing)},
                           {"pruned", n(r.pruned)},
                           {"capped", n(r.capped)},
                           {"evicted", n(r.evicted)},
                           {"archived", n(r.archived)},
                           {"sweptArchives", n(r.swept)}});
  json disk;  // null without session.maintenance.maxDiskBytes, as the original's
  if (r.disk) {
    json removed = json::array();
    for (const auto& name : r.disk->removed) removed.push_back(name);
    disk = json::object({{"totalBytesBefore", r.disk->bytes_before},
                         {"totalBytesAfter", r.disk->bytes_after},
                         {"removedFiles", n(r.disk->removed_files)},
                         {"removedEntries", n(r.disk->removed_entries)},
                         {"freedBytes", r.disk->freed_bytes},
                         {"maxBytes", r.disk->max_bytes},
                         {"highWaterBytes", r.disk->high_water_bytes},
                         {"overBudget", r.disk->over_budget},
                         {"removed", std::move(removed)}});
  }
  out.set("diskBudget", std::move(disk));
  out.set("wouldMutate", r.before != r.after || (r.disk && r.disk->removed_files > 0));
  if (dry_run) {
    json actions = json::array();
    for (const auto& [info, action] : r.actions)
      actions.push_back(
          json::object({{"key", info.key}, {"updatedAt", info.updated_at}, {"action", action}}));
    out.set("actions", std::move(actions));
  }
  return out;
}

// One agent's store: the plan (dry run, or mode warn without --enforce) or what was done.
int cleanup_one(context& ctx, const parsed_args& args, opened_runtime& o, json* collected) {
  const std::string& configured = o.rt->cfg().session.maintenance.mode;
  const bool enforce = args.has("enforce") || configured != "warn";
  const bool dry_run = args.has("dry-run") || !enforce;
  maintenance_options opts;
  opts.dry_run = dry_run;
  opts.fix_missing = args.has("fix-missing");
  auto r = o.store->maintain(opts);
  if (!r) return fail_with(ctx, exit_failure, r.error().message);
  std::string_view mode = args.has("enforce") ? "enforce" : std::string_view(configured);
  if (collected != nullptr) {
    collected->push_back(cleanup_json(o.profile.id, *o.store, mode, dry_run, *r));
    return exit_ok;
  }
  std::string out = fmt::format("Agent {}: {}\nMaintenance mode: {}\n", o.profile.id,
                                (o.store->dir() / "sessions.json").string(), mode);
  out += fmt::format("Entries: {} -> {} (remove {})\n", r->before, r->after, r->before - r->after);
  if (dry_run) {
    if (opts.fix_missing) out += fmt::format("Would prune missing transcripts: {}\n", r->missing);
    out += fmt::format("Would prune stale: {}\nWould cap overflow: {}\n", r->pruned, r->capped);
    if (r->disk)
      out += fmt::format("Would enforce disk budget: {} -> {} bytes (files {}, entries {})\n",
                         r->disk->bytes_before, r->disk->bytes_after, r->disk->removed_files,
                         r->disk->removed_entries);
  } else {
    if (opts.fix_missing) out += fmt::format("Pruned missing transcripts: {}\n", r->missing);
    out += fmt::format("Pruned stale: {}\nCapped overflow: {}\n", r->pruned, r->capped);
    out +=
        fmt::format("Archived transcripts: {}; old archives removed: {}\n", r->archived, r->swept);
    if (r->disk)
      out += fmt::format(
          "Disk budget: {} -> {} bytes (max {}, target {}); removed files {}, "
          "entries {}\n",
          r->disk->bytes_before, r->disk->bytes_after, r->disk->max_bytes,
          r->disk->high_water_bytes, r->disk->removed_files, r->disk->removed_entries);
  }
  if (r->disk && !r->disk->removed.empty()) {
    out +=
        dry_run ? "Files the disk budget would remove:\n" : "Files removed by the disk budget:\n";
    for (const auto& name : r->disk->removed) out += "  " + name + "\n";
  }
  if (dry_run && r->before != r->after) {  // evict-budget rows among them
    std::vector<std::vector<std::string>> rows{{"ACTION", "KEY", "UPDATED"}};
    for (const auto& [info, action] : r->actions)
      rows.push_back({action, info.key, age(info.updated_at)});
    out += "\n" + format_table(rows);
  }
  if (!enforce) out += "Mode is warn: nothing was removed; --enforce applies it.\n";
  print(stdout, out);
  return exit_ok;
}

int cleanup(context& ctx, const parsed_args& args) {
  std::vector<std::string> agents;
  if (args.has("all-agents")) {
    asio::io_context io;
    auto rt = runtime::create(io, ctx.load());
    if (!rt) return fail_with(ctx, exit_failure, rt.error().message);
    for (const auto& a : (*rt)->agents()) agents.push_back(a.id);
  } else {
    agents.push_back(args.value("agent").value_or(""));
  }
  json collected = json::array();
  int rc = exit_ok;
  for (std::size_t i = 0; i < agents.size(); ++i) {
    parsed_args one = args;
    one.flags["agent"] = agents[i];
    auto o = open_store(ctx, one, false);
    if (!o) return fail_with(ctx, exit_failure, o.error().message);
    if (i > 0 && !ctx.globals.json) print(stdout, "\n");
    rc = std::max(rc, cleanup_one(ctx, args, **o, ctx.globals.json ? &collected : nullptr));
  }
  if (ctx.globals.json)
    print_json(collected.size() == 1 ? collected[0] : json::object({{"stores", collected}}));
  return rc;
}

const flag_spec agent_flag{"agent", "ID", "which agent's sessions (default: the default agent)"};

}  // namespace

std::vector<command_spec> sessions_commands() {
  return {
      {"sessions list", "", "Stored sessions, most recent first", {agent_flag}, 0, 0, list},
      {"sessions show",
       "[key]",
       "A session's conversation (default: the main session)",
       {agent_flag},
       0,
       1,
       show},
      {"sessions reset",
       "[key]",
       "Start the key afresh; the old transcript is archived",
       {agent_flag},
       0,
       1,
       reset},
      {"sessions compact",
       "[key]",
       "Summarise older history now",
       {agent_flag, {"instructions", "TEXT", "what the summary should keep"}},
       0,
       1,
       compact},
      {"sessions export",
       "[key]",
       "Write a session as JSONL (as stored) or Markdown",
       {agent_flag,
        {"format", "FMT", "jsonl (default) or md"},
        {"output", "PATH", "write to a file instead of stdout"}},
       0,
       1,
       export_session},
      {"sessions cleanup",
       "",
       "Apply session.maintenance now: drop stale entries, cap the index, archive transcripts, "
       "keep the folder within maxDiskBytes",
       {agent_flag,
        {"all-agents", "", "every configured agent"},
        {"dry-run", "", "show what would go; change nothing"},
        {"enforce", "", "apply even when session.maintenance.mode is warn"},
        {"fix-missing", "", "also drop entries whose transcript file is gone"}},
       0,
       0,
       cleanup},
  };
}

}  // namespace durar::cli
