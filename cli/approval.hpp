// Asking the person at the terminal whether the agent may run a command (tools.exec.ask).
#pragma once

#include <durar/runtime.hpp>

namespace durar::cli {

// Runtime options whose exec approval asks on the controlling terminal (/dev/tty) and
// waits for y/N. Without a terminal (scripts, CI) every ask is denied, and the model is
// told why.
runtime_options terminal_runtime_options();

}  // namespace durar::cli
