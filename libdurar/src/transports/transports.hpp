// Factories for the built-in transports, one per wire API (one file each).
#pragma once

#include <durar/provider.hpp>

#include <memory>

namespace durar::detail {

std::shared_ptr<const transport> make_openai_completions_transport();
std::shared_ptr<const transport> make_openai_responses_transport();
std::shared_ptr<const transport> make_anthropic_messages_transport();
std::shared_ptr<const transport> make_google_generative_ai_transport();
std::shared_ptr<const transport> make_ollama_transport();

}  // namespace durar::detail
