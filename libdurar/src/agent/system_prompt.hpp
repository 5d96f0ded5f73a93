// The system prompt over an agent's tools as they are: the runtime lists them without first
// copying their names and descriptions into system_prompt_inputs::tools.
#pragma once

#include <durar/tool.hpp>
#include <durar/workspace.hpp>

#include <memory>
#include <span>
#include <string>

namespace durar::detail {

// build_system_prompt(in) with `tools` then `more_tools` listed instead of in.tools.
std::string build_system_prompt(const system_prompt_inputs& in,
                                std::span<const std::shared_ptr<tool>> tools,
                                std::span<const tool_definition> more_tools);

}  // namespace durar::detail
