// Durations as the original writes them in its config: "30d", "12h", "1h30m", "500ms", or a
// bare number in a default unit.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace durar::detail {

// One or more <number><unit> parts (units ms, s, m, h, d; case-insensitive), or one bare
// number taken in `default_unit`. nullopt when it is none of these, or negative, or too large.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                        std::string_view default_unit);
// A number of `default_unit`s (a config value given as a JSON number).
std::optional<std::chrono::milliseconds> duration_of(double count, std::string_view default_unit);

}  // namespace durar::detail
