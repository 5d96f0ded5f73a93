// sessions.json.wal: which transcript a key names, recorded the moment it changes.
//
// Rewriting the whole index for every new session would cost O(sessions) per request, so
// the index is rewritten in the background, many changes per write. A new session, a reset
// and a removal cannot wait for that: a process killed in between would leave the key
// without its transcript, and a second process would start a second session for the same
// key. So each of them is first appended here, one line, under the index lock; readers
// apply the journal on top of the index; the next whole index write folds it in and
// removes the file. The append is not fsynced: it guards against a killed process, and the
// batched index write that follows within write_interval is fsynced as before, so power
// loss costs what it did (a request never waits for the disk).
#include <fmt/format.h>

#include "core/file_io.hpp"
#include "session/session_internal.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <unordered_map>

namespace durar::detail {

std::filesystem::path journal_file_of(const std::filesystem::path& index_file) {
  std::filesystem::path p = index_file;
  p += ".wal";
  return p;
}

result<std::vector<journal_record>> read_journal(const std::filesystem::path& file) {
  bool exists = false;
  auto text = read_file(file, exists);
  if (!text) return fail(text.error());
  std::vector<journal_record> out;
  std::string_view rest = *text;
  for (int line = 1; !rest.empty(); ++line) {
    auto end = rest.find('\n');
    if (end == std::string_view::npos) break;  // torn by a crash mid-append: never acknowledged
    std::string_view text_line = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    auto j = json::parse(text_line);
    const json* key = j ? j->find("key") : nullptr;
    if (!j || key == nullptr || !key->is_string()) {
      return fail(errc::invalid_argument,
                  fmt::format("{}:{}: not a session index record{}", file.string(), line,
                              j ? " (no \"key\")" : ": " + j.error().message));
    }
    journal_record r;
    r.key = key->as_string();
    if (const json* e = j->find("entry"); e != nullptr && e->is_object()) {
      r.entry = info_from_json(r.key, *e);
    } else {
      r.removed_id = j->string_or("removed");
    }
    out.push_back(std::move(r));
  }
  return out;
}

result<file_identity> append_journal(const std::filesystem::path& file, const journal_record& r) {
  json line = json::object();
  line.set("key", r.key);
  if (r.entry) {
    line.set("entry", info_to_json(*r.entry));
  } else {
    line.set("removed", r.removed_id);
  }
  std::string bytes = line.dump() + "\n";
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail(open_errc(errno),
                fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
  ssize_t n = 0;
  do {
    n = ::write(fd, bytes.data(), bytes.size());
  } while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : ENOSPC;
  bool ok = n == static_cast<ssize_t>(bytes.size());
  // No half record stays: a short append is cut off again (the index lock keeps other
  // writers out, so the file's end is this write's end).
  file_identity after = identity_of(fd);  // all false if fstat fails: the next read looks
  if (!ok && n > 0 && after.exists && after.size >= static_cast<std::uint64_t>(n))
    (void)::ftruncate(fd, static_cast<off_t>(after.size) - n);
  ::close(fd);
  if (!ok)
    return fail(errc::unavailable,
                fmt::format("cannot write {}: {}", file.string(), std::strerror(err)));
  return after;
}

void apply_journal(std::vector<session_info>& index, const std::vector<journal_record>& records) {
  // Only a key's last record counts. The index may already hold it (written, and the
  // process died before removing the journal) and changes made since: a record whose
  // session the index already names is not applied again.
  std::unordered_map<std::string_view, const journal_record*> last;
  for (const auto& r : records) last[r.key] = &r;
  std::unordered_map<std::string_view, std::size_t> position;  // keyed by the records' keys
  for (std::size_t i = 0; i < index.size(); ++i)
    if (auto it = last.find(index[i].key); it != last.end()) position.emplace(it->first, i);
  std::vector<bool> removed(index.size(), false);
  for (const auto& r : records) {
    if (last[r.key] != &r) continue;
    auto at = position.find(r.key);
    session_info* have = at == position.end() ? nullptr : &index[at->second];
    if (r.entry) {
      if (have == nullptr) {
        index.push_back(*r.entry);
      } else if (have->session_id != r.entry->session_id) {
        *have = *r.entry;
      }
    } else if (have != nullptr && have->session_id == r.removed_id) {
      removed[at->second] = true;
    }
  }
  if (std::find(removed.begin(), removed.end(), true) == removed.end()) return;
  std::size_t out = 0;
  for (std::size_t i = 0; i < index.size(); ++i) {
    if (i < removed.size() && removed[i]) continue;
    if (out != i) index[out] = std::move(index[i]);
    ++out;
  }
  index.resize(out);
}

}  // namespace durar::detail
