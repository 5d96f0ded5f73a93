// Who is listening on a TCP port, from /proc (Linux): for the "port in use" message and
// for `gateway run --force`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>

namespace durar::cli {

struct port_owner {
  pid_t pid = 0;
  std::string command;  // /proc/<pid>/comm, e.g. "durar"
};

// The process with a listening socket on `port` (IPv4 or IPv6), when it can be found
// (other users' processes may be hidden from us).
std::optional<port_owner> find_port_owner(std::uint16_t port);

}  // namespace durar::cli
