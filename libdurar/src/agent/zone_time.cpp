// TZif (RFC 8536) reading and POSIX TZ rule evaluation, enough to tell the model what time it
// is where the user lives.
#include "agent/zone_time.hpp"

#include <fmt/format.h>

#include "core/file_io.hpp"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace durar::detail {

namespace {

namespace chr = std::chrono;

// ---- POSIX TZ strings ("CET-1CEST,M3.5.0,M10.5.0/3") ---------------------------------

struct rule_date {
  enum class kind { julian_no_leap, julian_zero, month_week_day } what = kind::month_week_day;
  int day = 0, week = 0, month = 0;  // Jn: day; n: day; Mm.w.d: month, week, day (weekday)
  std::int64_t time = 7200;          // seconds after local midnight
};

struct posix_rule {
  std::string std_name, dst_name;
  std::int64_t std_offset = 0;  // east of UTC
  std::int64_t dst_offset = 0;
  bool has_dst = false;
  rule_date start, end;
};

class tz_parser {
 public:
  explicit tz_parser(std::string_view s) : s_(s) {}

  std::optional<posix_rule> parse() {
    posix_rule r;
    if (!name(r.std_name) || !offset(r.std_offset)) return std::nullopt;
    if (at_end()) return r;
    if (!name(r.dst_name)) return std::nullopt;
    r.has_dst = true;
    r.dst_offset = r.std_offset + 3600;
    if (!at_end() && peek() != ',' && !offset(r.dst_offset)) return std::nullopt;
    if (at_end()) {
      // No rule given: the US rule, as glibc assumes.
      r.start = {rule_date::kind::month_week_day, 0, 2, 3, 7200};
      r.end = {rule_date::kind::month_week_day, 0, 1, 11, 7200};
      return r;
    }
    if (peek() != ',') return std::nullopt;
    ++pos_;
    if (!date(r.start) || at_end() || peek() != ',') return std::nullopt;
    ++pos_;
    if (!date(r.end) || !at_end()) return std::nullopt;
    return r;
  }

 private:
  [[nodiscard]] bool at_end() const { return pos_ >= s_.size(); }
  [[nodiscard]] char peek() const { return s_[pos_]; }

  bool name(std::string& out) {
    if (at_end()) return false;
    if (peek() == '<') {
      auto close = s_.find('>', pos_);
      if (close == std::string_view::npos) return false;
      out = std::string(s_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
      return !out.empty();
    }
    std::size_t from = pos_;
    while (!at_end() && ((peek() >= 'A' && peek() <= 'Z') || (peek() >= 'a' && peek() <= 'z')))
      ++pos_;
    out = std::string(s_.substr(from, pos_ - from));
    return out.size() >= 3;
  }

  bool number(int& out, int max_digits) {
    int n = 0, digits = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9' && digits < max_digits) {
      n = n * 10 + (peek() - '0');
      ++pos_;
      ++digits;
    }
    out = n;
    return digits > 0;
  }

  // [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536 allows it in rule times).
  bool clock(std::int64_t& seconds) {
    int sign = 1;
    if (!at_end() && (peek() == '+' || peek() == '-')) {
      sign = peek() == '-' ? -1 : 1;
      ++pos_;
    }
    int h = 0, m = 0, sec = 0;
    if (!number(h, 3)) return false;
    if (!at_end() && peek() == ':') {
      ++pos_;
      if (!number(m, 2)) return false;
      if (!at_end() && peek() == ':') {
        ++pos_;
        if (!number(sec, 2)) return false;
      }
    }
    seconds = sign * (h * 3600LL + m * 60LL + sec);
    return true;
  }

  // POSIX offsets count west of UTC; ours count east.
  bool offset(std::int64_t& east) {
    std::int64_t west = 0;
    if (!clock(west)) return false;
    east = -west;
    return true;
  }

  bool date(rule_date& d) {
    if (at_end()) return false;
    if (peek() == 'J') {
      ++pos_;
      d.what = rule_date::kind::julian_no_leap;
      if (!number(d.day, 3) || d.day < 1 || d.day > 365) return false;
    } else if (peek() == 'M') {
      ++pos_;
      d.what = rule_date::kind::month_week_day;
      if (!number(d.month, 2) || at_end() || peek() != '.') return false;
      ++pos_;
      if (!number(d.week, 1) || at_end() || peek() != '.') return false;
      ++pos_;
      if (!number(d.day, 1)) return false;
      if (d.month < 1 || d.month > 12 || d.week < 1 || d.week > 5 || d.day > 6) return false;
    } else {
      d.what = rule_date::kind::julian_zero;
      if (!number(d.day, 3) || d.day > 365) return false;
    }
    d.time = 7200;
    if (!at_end() && peek() == '/') {
      ++pos_;
      if (!clock(d.time)) return false;
    }
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

std::int64_t days_of(int y, unsigned m, unsigned d) {
  return chr::sys_days(chr::year{y} / chr::month{m} / chr::day{d}).time_since_epoch().count();
}

// Seconds since the epoch of the rule's moment in `year`, as local time with `offset`.
std::int64_t rule_moment(const rule_date& r, int year, std::int64_t offset) {
  std::int64_t day = 0;
  const bool leap = chr::year{year}.is_leap();
  switch (r.what) {
    case rule_date::kind::julian_no_leap:
      // Jn counts 1..365 and never February 29th.
      day = days_of(year, 1, 1) + r.day - 1 + ((leap && r.day >= 60) ? 1 : 0);
      break;
    case rule_date::kind::julian_zero:
      day = days_of(year, 1, 1) + r.day;
      break;
    case rule_date::kind::month_week_day: {
      const auto first = chr::sys_days(chr::year{year} / chr::month(r.month) / chr::day{1});
      const int first_wd = static_cast<int>(chr::weekday(first).c_encoding());
      int dom = 1 + (r.day - first_wd + 7) % 7 + (r.week - 1) * 7;
      const auto last = static_cast<unsigned>(
          chr::year_month_day_last(chr::year{year} / chr::month(r.month) / chr::last).day());
      while (dom > static_cast<int>(last)) dom -= 7;
      day = first.time_since_epoch().count() + dom - 1;
      break;
    }
  }
  return day * 86400 + r.time - offset;
}

int year_of(std::int64_t local_seconds) {
  std::int64_t days = local_seconds >= 0 ? local_seconds / 86400 : (local_seconds - 86399) / 86400;
  chr::year_month_day ymd{chr::sys_days{chr::days{days}}};
  return static_cast<int>(ymd.year());
}

struct local_type {
  std::int64_t offset = 0;
  std::string abbreviation;
};

local_type apply_rule(const posix_rule& r, std::int64_t t) {
  if (!r.has_dst) return {r.std_offset, r.std_name};
  const int year = year_of(t + r.std_offset);
  const std::int64_t start = rule_moment(r.start, year, r.std_offset);
  const std::int64_t end = rule_moment(r.end, year, r.dst_offset);
  const bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? local_type{r.dst_offset, r.dst_name} : local_type{r.std_offset, r.std_name};
}

// ---- TZif files ----------------------------------------------------------------------

class reader {
 public:
  explicit reader(std::string_view b) : b_(b) {}
  bool skip(std::size_t n) {
    if (b_.size() - pos_ < n) return false;
    pos_ += n;
    return true;
  }
  bool u8(std::uint8_t& v) {
    if (pos_ >= b_.size()) return false;
    v = static_cast<std::uint8_t>(b_[pos_++]);
    return true;
  }
  bool be(std::int64_t& v, int bytes) {
    if (b_.size() - pos_ < static_cast<std::size_t>(bytes)) return false;
    std::uint64_t u = 0;
    for (int i = 0; i < bytes; ++i) u = (u << 8) | static_cast<std::uint8_t>(b_[pos_++]);
    if (bytes == 4) {
      v = static_cast<std::int32_t>(static_cast<std::uint32_t>(u));
    } else {
      v = static_cast<std::int64_t>(u);
    }
    return true;
  }
  [[nodiscard]] std::string_view rest() const { return b_.substr(pos_); }
  [[nodiscard]] std::size_t pos() const { return pos_; }

 private:
  std::string_view b_;
  std::size_t pos_ = 0;
};

struct tzif {
  std::vector<std::int64_t> times;
  std::vector<std::uint8_t> indices;
  std::vector<local_type> types;
  std::optional<posix_rule> footer;
};

struct counts {
  std::int64_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
};

bool read_header(reader& r, char& version, counts& c) {
  std::string_view magic = r.rest().substr(0, 4);
  if (magic != "TZif") return false;
  r.skip(4);
  std::uint8_t v = 0;
  if (!r.u8(v) || !r.skip(15)) return false;
  version = static_cast<char>(v);
  return r.be(c.isut, 4) && r.be(c.isstd, 4) && r.be(c.leap, 4) && r.be(c.time, 4) &&
         r.be(c.type, 4) && r.be(c.chars, 4) && c.type > 0 && c.time >= 0 && c.chars >= 0;
}

std::optional<tzif> parse_tzif(std::string_view bytes) {
  reader r(bytes);
  char version = 0;
  counts c;
  if (!read_header(r, version, c)) return std::nullopt;
  int time_size = 4;
  if (version >= '2') {
    // Skip the 32-bit block; the 64-bit one after the second header covers all times.
    std::size_t v1 =
        static_cast<std::size_t>(c.time * 5 + c.type * 6 + c.chars + c.leap * 8 + c.isstd + c.isut);
    if (!r.skip(v1) || !read_header(r, version, c)) return std::nullopt;
    time_size = 8;
  }
  tzif z;
  z.times.resize(static_cast<std::size_t>(c.time));
  z.indices.resize(static_cast<std::size_t>(c.time));
  for (auto& t : z.times)
    if (!r.be(t, time_size)) return std::nullopt;
  for (auto& i : z.indices)
    if (!r.u8(i)) return std::nullopt;
  struct raw_type {
    std::int64_t offset;
    std::uint8_t abbr;
  };
  std::vector<raw_type> raw(static_cast<std::size_t>(c.type));
  for (auto& t : raw) {
    std::uint8_t isdst = 0;
    if (!r.be(t.offset, 4) || !r.u8(isdst) || !r.u8(t.abbr)) return std::nullopt;
  }
  std::string_view chars = r.rest().substr(0, static_cast<std::size_t>(c.chars));
  if (chars.size() != static_cast<std::size_t>(c.chars)) return std::nullopt;
  for (const auto& t : raw) {
    std::string abbr;
    if (t.abbr < chars.size()) {
      auto sv = chars.substr(t.abbr);
      abbr = std::string(sv.substr(0, sv.find('\0')));
    }
    z.types.push_back({t.offset, std::move(abbr)});
  }
  for (auto i : z.indices)
    if (i >= z.types.size()) return std::nullopt;
  if (version >= '2') {
    std::size_t tail =
        static_cast<std::size_t>(c.chars + c.leap * (time_size + 4) + c.isstd + c.isut);
    if (r.skip(tail)) {
      std::string_view footer = r.rest();
      if (footer.size() >= 2 && footer[0] == '\n') {
        auto close = footer.find('\n', 1);
        if (close != std::string_view::npos && close > 1)
          z.footer = tz_parser(footer.substr(1, close - 1)).parse();
      }
    }
  }
  return z;
}

local_type lookup(const tzif& z, std::int64_t t) {
  if (z.times.empty() || t < z.times.front()) {
    if (z.times.empty() && z.footer) return apply_rule(*z.footer, t);
    return z.types.front();
  }
  if (t >= z.times.back() && z.footer) return apply_rule(*z.footer, t);
  std::size_t i = 0;
  std::size_t lo = 0, hi = z.times.size();
  while (lo < hi) {  // the last transition at or before t
    std::size_t mid = (lo + hi) / 2;
    if (z.times[mid] <= t) {
      i = mid;
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return z.types[z.indices[i]];
}

std::filesystem::path tz_dir() {
  const char* dir = std::getenv("TZDIR");  // NOLINT(concurrency-mt-unsafe): read only
  return (dir != nullptr && *dir != '\0') ? std::filesystem::path(dir)
                                          : std::filesystem::path("/usr/share/zoneinfo");
}

bool safe_zone_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.size() > 255) return false;
  if (name.find("..") != std::string_view::npos) return false;
  for (char ch : name) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '/' || ch == '_' || ch == '-' || ch == '+';
    if (!ok) return false;
  }
  return true;
}

std::optional<tzif> load_zone_file(const std::filesystem::path& p) {
  bool exists = false;
  auto bytes = read_file(p, exists);
  if (!bytes || !exists) return std::nullopt;
  return parse_tzif(*bytes);
}

// The host's zone: TZ when set, else /etc/localtime, whose link target names the zone.
std::pair<std::string, std::optional<tzif>> host_zone() {
  const char* env = std::getenv("TZ");  // NOLINT(concurrency-mt-unsafe): read only
  if (env != nullptr && *env != '\0') {
    std::string_view tz = env;
    if (tz.front() == ':') tz.remove_prefix(1);
    if (safe_zone_name(tz))
      if (auto z = load_zone_file(tz_dir() / std::string(tz))) return {std::string(tz), z};
    if (auto rule = tz_parser(tz).parse()) {
      tzif z;
      z.types.push_back({rule->std_offset, rule->std_name});
      z.footer = rule;
      return {std::string(tz), z};
    }
  }
  std::error_code ec;
  std::string name = "UTC";
  auto target = std::filesystem::read_symlink("/etc/localtime", ec);
  if (!ec) {
    std::string t = target.string();
    if (auto at = t.find("zoneinfo/"); at != std::string::npos) name = t.substr(at + 9);
  } else {
    bool exists = false;
    if (auto text = read_file("/etc/timezone", exists); text && exists) {
      std::string n = *text;
      while (!n.empty() && (n.back() == '\n' || n.back() == ' ')) n.pop_back();
      if (safe_zone_name(n)) name = n;
    }
  }
  return {name, load_zone_file("/etc/localtime")};
}

// Zone files are read once a minute at most: every turn asks for the time in the system
// prompt, and a host whose zone changes sees it within the minute. Callers share the
// parsed zone (a zone's transition table runs to hundreds of entries).
template <class Load>
auto cached(const std::string& key, Load load) -> std::shared_ptr<const decltype(load())> {
  using value = std::shared_ptr<const decltype(load())>;
  struct slot {
    value v;
    chr::steady_clock::time_point at;
  };
  static std::mutex mu;
  static std::map<std::string, slot, std::less<>> cache;
  auto now = chr::steady_clock::now();
  {
    std::lock_guard l(mu);
    if (auto it = cache.find(key); it != cache.end() && now - it->second.at < chr::minutes(1))
      return it->second.v;
  }
  value v = std::make_shared<const decltype(load())>(load());
  std::lock_guard l(mu);
  if (cache.size() > 64) cache.clear();  // zone names come from config: keep it bounded
  cache[key] = slot{v, now};
  return v;
}

}  // namespace

std::string format_utc_offset(std::int64_t offset_seconds) {
  const char sign = offset_seconds < 0 ? '-' : '+';
  std::int64_t a = offset_seconds < 0 ? -offset_seconds : offset_seconds;
  return fmt::format("{}{:02}:{:02}", sign, a / 3600, (a / 60) % 60);
}

result<zoned_time_info> zoned_time_at(std::string_view zone,
                                      std::chrono::system_clock::time_point t) {
  zoned_time_info out;
  std::shared_ptr<const std::optional<tzif>> shared;  // a cached zone file
  std::optional<tzif> parsed;                         // a POSIX rule or UTC, made here
  if (zone.empty()) {
    const char* env = std::getenv("TZ");  // NOLINT(concurrency-mt-unsafe): read only
    auto host = cached(std::string("host:") + (env ? env : ""), host_zone);
    out.zone = host->first;
    shared = std::shared_ptr<const std::optional<tzif>>(host, &host->second);
  } else {
    out.zone = std::string(zone);
    if (safe_zone_name(zone)) {
      std::string name(zone);
      shared = cached("zone:" + name, [&] { return load_zone_file(tz_dir() / name); });
      if (!*shared) shared.reset();
    }
    if (!shared) {
      if (auto rule = tz_parser(zone).parse()) {
        parsed.emplace();
        parsed->types.push_back({rule->std_offset, rule->std_name});
        parsed->footer = rule;
      }
    }
    if (!shared && !parsed && (zone == "UTC" || zone == "Etc/UTC" || zone == "GMT")) {
      parsed.emplace();
      parsed->types.push_back({0, "UTC"});
    }
    if (!shared && !parsed)
      return fail(errc::not_found, fmt::format("unknown time zone '{}'", zone));
  }
  const std::optional<tzif>& z = shared ? *shared : parsed;
  const std::int64_t secs = chr::duration_cast<chr::seconds>(t.time_since_epoch()).count();
  local_type lt = z ? lookup(*z, secs) : local_type{0, "UTC"};
  out.offset_seconds = lt.offset;
  out.abbreviation = lt.abbreviation;
  const std::int64_t local = secs + lt.offset;
  const std::int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
  const std::int64_t sod = local - days * 86400;
  const chr::sys_days sd{chr::days{days}};
  const chr::year_month_day ymd{sd};
  out.year = static_cast<int>(ymd.year());
  out.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  out.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  out.weekday = static_cast<int>(chr::weekday(sd).c_encoding());
  out.hour = static_cast<int>(sod / 3600);
  out.minute = static_cast<int>((sod / 60) % 60);
  out.second = static_cast<int>(sod % 60);
  return out;
}

}  // namespace durar::detail
