// Wall-clock time in an IANA time zone without touching the process's TZ: the zone's TZif
// file is read from the tz database (TZDIR, else /usr/share/zoneinfo) and its transitions
// and POSIX footer rule are evaluated here. No global state, so it is safe on any thread
// (setenv("TZ")/tzset would race with every other thread's localtime and getenv).
#pragma once

#include <durar/result.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace durar::detail {

struct zoned_time_info {
  std::string zone;                 // "Europe/Berlin"; the host's zone name when asked for ""
  std::string abbreviation;         // "CEST"
  std::int64_t offset_seconds = 0;  // east of UTC
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int weekday = 4;  // 0 = Sunday
};

// The local time at `t` in `zone`: an IANA name, a POSIX TZ string ("EST5EDT,M3.2.0,M11.1.0")
// or "" for the host's zone (TZ, else /etc/localtime). An unknown zone is not_found.
result<zoned_time_info> zoned_time_at(std::string_view zone,
                                      std::chrono::system_clock::time_point t);

// "+05:30", "-04:00".
std::string format_utc_offset(std::int64_t offset_seconds);

}  // namespace durar::detail
