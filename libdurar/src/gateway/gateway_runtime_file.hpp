// <state dir>/gateway.json: where the gateway serving a state dir listens, so that the CLI on
// the same state dir finds it whatever port it was given (`--port 0` included).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace durar::gateway_detail {

// Writes {"pid","port","url"} for this process (best effort: a gateway that cannot write it
// still serves; the CLI then looks at the configured port).
void write_runtime_file(const std::filesystem::path& state_dir, std::uint16_t port,
                        const std::string& ws_url);
// Removes the file if it still names this process (another gateway may have written it since).
void remove_runtime_file(const std::filesystem::path& state_dir);

}  // namespace durar::gateway_detail
