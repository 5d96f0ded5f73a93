// Starting files for a new workspace (`durar setup`). Each is short and says what belongs
// in it; the agent and its person fill them in over time. Existing files are never touched.
#include <durar/workspace.hpp>

#include <fmt/format.h>

#include "core/file_io.hpp"

#include <array>
#include <string_view>
#include <utility>

namespace durar {

namespace {

constexpr std::string_view agents_md = R"(# AGENTS.md: how to work

This file is your standing instructions. It is part of your system prompt in every session,
so keep it short and keep it true.

## Every session

- Read `USER.md` to remember who you are helping and `SOUL.md` to remember how.
- Look at `memory/` for notes from recent days when the conversation needs context.

## Memory

You forget everything between sessions unless it is written down.

- `memory/YYYY-MM-DD.md`: a running log of the day: what happened, what was decided.
- `MEMORY.md`: the few things worth remembering for good. Keep it small and tidy.
- When the person says "remember this", write it down right away.

## Working

- Do what was asked, completely, then say briefly what you did.
- Prefer checking to guessing: read files and run commands before drawing conclusions.
- Ask before anything that deletes data, costs money, or speaks for the person in public.
- Private things stay private. Do not paste them into places others can read.

## This file

Change it when you find a better way of working, and tell the person what you changed.
)";

constexpr std::string_view soul_md = R"(# SOUL.md: character

Who you are when you talk, as opposed to what you do (that is `AGENTS.md`).

- Be direct. Lead with the answer; explain when it helps.
- Be honest about uncertainty. "I don't know" beats a confident guess.
- Have opinions when asked, and say why.
- Match the person's tone and language. Skip filler and flattery.
- Respect their time, attention and privacy.

Rewrite this together with the person you work for until it sounds like you.
)";

constexpr std::string_view tools_md = R"(# TOOLS.md: notes about this machine

The tools themselves are described to you elsewhere. This file is for the local details
that make them useful here, for example:

- hosts and aliases you connect to,
- project folders and what lives in them,
- commands, scripts and services particular to this setup,
- devices and their names.

Nothing here changes which tools you have; it only helps you use them well.
)";

constexpr std::string_view identity_md = R"(# IDENTITY.md: who you are

Fill this in during your first conversations.

- Name:
- What you are:
- Manner:
- Emoji:
)";

constexpr std::string_view user_md = R"(# USER.md: who you help

Learn these as you go; do not interrogate.

- Name:
- How to address them:
- Time zone:
- Languages:
- Notes:
)";

constexpr std::string_view heartbeat_md = R"(# HEARTBEAT.md

# Periodic checks. With nothing but comments here, heartbeat runs are skipped.
# Add a short checklist below when you want something looked at regularly.
)";

constexpr std::string_view bootstrap_md = R"(# BOOTSTRAP.md: first run

This workspace is new and nothing has been written to memory yet.

1. Say hello and ask who you are talking to.
2. Agree on a name and a manner for yourself; write them in `IDENTITY.md`.
3. Write what you learn about the person in `USER.md`.
4. Read `SOUL.md` together and adjust it to what they want.

When that is done, delete this file: it is only for the first conversation.
)";

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> standing_files = {{
    {"AGENTS.md", agents_md},
    {"SOUL.md", soul_md},
    {"TOOLS.md", tools_md},
    {"IDENTITY.md", identity_md},
    {"USER.md", user_md},
    {"HEARTBEAT.md", heartbeat_md},
}};

}  // namespace

result<std::vector<std::filesystem::path>> seed_workspace(const std::filesystem::path& workspace) {
  std::error_code ec;
  // Private, as the state dir it usually sits in: it holds the agent's memory.
  if (auto made = detail::create_private_dirs(workspace); !made)
    return fail(errc::invalid_argument, "the workspace: " + made.error().message);
  // A workspace is new when none of its standing files exist yet; only then does the
  // first-run file make sense.
  bool fresh = true;
  for (const auto& [name, text] : standing_files)
    if (std::filesystem::exists(workspace / std::string(name), ec)) fresh = false;
  if (std::filesystem::exists(workspace / "MEMORY.md", ec)) fresh = false;

  std::vector<std::filesystem::path> written;
  auto write = [&](std::string_view name, std::string_view text) -> result<void> {
    std::filesystem::path p = workspace / std::string(name);
    if (std::filesystem::exists(std::filesystem::symlink_status(p, ec))) return {};
    if (auto r = detail::write_file_atomic(p, std::string(text)); !r) return r;
    written.push_back(std::move(p));
    return {};
  };
  for (const auto& [name, text] : standing_files)
    if (auto r = write(name, text); !r) return fail(r.error());
  if (fresh)
    if (auto r = write("BOOTSTRAP.md", bootstrap_md); !r) return fail(r.error());
  return written;
}

}  // namespace durar
