// Durations and byte sizes as the original writes them in its config: "30d", "12h", "1h30m",
// "500ms", "500mb", "10k", or a bare number in a default unit.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace durar::detail {

// One or more <number><unit> parts (units ms, s, m, h, d; case-insensitive), or one bare
// number taken in `default_unit`. nullopt when it is none of these, or negative, or too large.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::string_view default_unit);
// A number of `default_unit`s (a config value given as a JSON number).
std::optional<std::chrono::milliseconds> duration_of(double count, std::string_view default_unit);

// A byte size as the original's parseByteSize reads it: a number, optionally with a fraction,
// then optionally one unit (b, k/kb, m/mb, g/gb, t/tb: powers of 1024; case-insensitive, no
// space before it); a bare number is bytes. Rounded to whole bytes. nullopt when it is none of
// these, or too large.
std::optional<std::int64_t> parse_byte_size(std::string_view text);
// A byte count given as a JSON number (the original reads it as its decimal text).
std::optional<std::int64_t> byte_size_of(double bytes);
// session.maintenance.highWaterBytes in effect: the configured value capped at `max_bytes`,
// else 80% of it (the original's ratio; at least 1 byte, 0 when `max_bytes` is 0).
std::int64_t disk_budget_high_water(std::int64_t max_bytes, std::optional<std::int64_t> configured);

}  // namespace durar::detail
