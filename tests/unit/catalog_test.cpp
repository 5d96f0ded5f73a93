#include <durar/catalog.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

using namespace durar;

namespace {

model_ref ref_of(std::string provider, std::string model) {
  return {std::move(provider), std::move(model)};
}

environment env_of(std::map<std::string, std::string, std::less<>> vars) {
  return environment(std::move(vars));
}

std::vector<std::string> sources(const std::vector<credential>& creds) {
  std::vector<std::string> out;
  for (const auto& c : creds) out.push_back(c.source);
  return out;
}

std::vector<std::string> keys(const std::vector<credential>& creds) {
  std::vector<std::string> out;
  for (const auto& c : creds) out.push_back(c.key.reveal());
  return out;
}

// The path ends in a version segment ("/v1", "/v1beta", "/api/paas/v4"), optionally
// followed by "/openai" (DeepInfra's OpenAI-compatible mount).
bool versioned(std::string_view url) {
  if (url.ends_with("/openai")) url.remove_suffix(7);
  auto slash = url.rfind('/');
  std::string_view last = url.substr(slash + 1);
  if (last.size() < 2 || last[0] != 'v' || !std::isdigit(static_cast<unsigned char>(last[1])))
    return false;
  return std::all_of(last.begin() + 1, last.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) ||
           std::islower(static_cast<unsigned char>(c));
  });
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

model_config model_with_id(std::string id, std::string name = {}) {
  model_config m;
  m.id = std::move(id);
  m.name = std::move(name);
  return m;
}

catalog build(const config& cfg) {
  auto cat = catalog::from_config(cfg);
  if (!cat) FAIL(cat.error().describe());
  return std::move(*cat);
}

}  // namespace

// ---- refs ------------------------------------------------------------------------------

TEST_CASE("model refs split on the first slash", "[catalog]") {
  auto r = model_ref::parse("openai/gpt-5.4");
  REQUIRE(r);
  CHECK(*r == ref_of("openai", "gpt-5.4"));

  r = model_ref::parse("openrouter/anthropic/claude-opus-4.6");
  REQUIRE(r);
  CHECK(r->provider == "openrouter");
  CHECK(r->model == "anthropic/claude-opus-4.6");
  CHECK(r->str() == "openrouter/anthropic/claude-opus-4.6");

  r = model_ref::parse("  anthropic/claude-opus-4-6\n");
  REQUIRE(r);
  CHECK(*r == ref_of("anthropic", "claude-opus-4-6"));
}

TEST_CASE("provider ids are lower-cased and folded like the original's", "[catalog]") {
  CHECK(model_ref::parse("z.ai/glm-5")->provider == "zai");
  CHECK(model_ref::parse("z-ai/glm-5")->provider == "zai");
  CHECK(model_ref::parse("Z.AI/glm-5")->provider == "zai");
  CHECK(model_ref::parse("OpenAI/gpt-5.4")->provider == "openai");
  CHECK(model_ref::parse("kimi-coding/k2p5")->provider == "kimi");
  CHECK(model_ref::parse("modelstudio/qwen3.5-plus")->provider == "qwen");
  // model ids are case-sensitive on the wire
  CHECK(model_ref::parse("minimax/MiniMax-M2.7")->model == "MiniMax-M2.7");
}

TEST_CASE("invalid model refs fail with a message naming the input", "[catalog]") {
  for (const std::string& bad : std::vector<std::string>{
           "", "   ", "gpt-5.4", "/gpt-5.4", "openai/", "open ai/gpt-5.4", "openai/gpt 5.4",
           "openai/gpt\t5", std::string("openai/g\0pt", 11)}) {
    INFO("input: " << bad);
    auto r = model_ref::parse(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_argument);
    bool printable = std::none_of(bad.begin(), bad.end(), [](char c) { return c < 0x20; });
    if (!bad.empty() && printable && bad != "   ") CHECK(contains(r.error().message, bad));
  }
  CHECK(contains(model_ref::parse("gpt-5.4").error().message, "provider/model"));
}

TEST_CASE("api kinds round-trip through their config names", "[catalog]") {
  for (auto api : {api_kind::openai_completions, api_kind::openai_responses,
                   api_kind::anthropic_messages, api_kind::google_generative_ai, api_kind::ollama})
    CHECK(parse_api_kind(to_string(api)) == api);
  CHECK(to_string(api_kind::google_generative_ai) == "google-generative-ai");
  CHECK_FALSE(parse_api_kind("bedrock-converse-stream"));
  CHECK_FALSE(parse_api_kind("OpenAI-Completions"));
}

// ---- built-in catalog ------------------------------------------------------------------

TEST_CASE("the built-in catalog lists the documented providers", "[catalog]") {
  const catalog& cat = catalog::builtin();
  for (const char* id :
       {"openai", "anthropic", "google",   "openrouter", "groq",     "mistral",
        "xai",    "deepseek",  "together", "cerebras",   "moonshot", "zai",
        "ollama", "vllm",      "sglang",   "lmstudio",   "litellm",  "huggingface",
        "nvidia", "venice",    "qwen",     "minimax",    "kimi",     "fireworks"}) {
    INFO(id);
    const provider_info* p = cat.provider(id);
    REQUIRE(p != nullptr);
    CHECK(p->id == id);
    CHECK(p->builtin);
    CHECK_FALSE(p->name.empty());
  }
  std::set<std::string> ids;
  for (const auto& p : cat.providers()) CHECK(ids.insert(p.id).second);
}

TEST_CASE("every built-in model has sane metadata", "[catalog]") {
  for (const auto& p : catalog::builtin().providers()) {
    std::set<std::string> ids;
    for (const auto& m : p.models) {
      INFO(p.id << "/" << m.id);
      CHECK(ids.insert(m.id).second);
      CHECK(m.provider == p.id);
      CHECK(m.api == p.api);
      CHECK_FALSE(m.name.empty());
      CHECK(m.context_window > 0);
      CHECK(m.max_tokens > 0);
      CHECK(m.max_tokens <= m.context_window);
      CHECK(m.effective_context() == m.context_window);
      CHECK(m.cost.input >= 0);
      CHECK(m.cost.output >= 0);
      CHECK(std::find(m.input.begin(), m.input.end(), "text") != m.input.end());
    }
  }
}

TEST_CASE("built-in base URLs follow the conventions", "[catalog]") {
  for (const auto& p : catalog::builtin().providers()) {
    INFO(p.id << " " << p.base_url);
    CHECK_FALSE(p.base_url.ends_with("/"));
    CHECK((p.base_url.starts_with("https://") || p.base_url.starts_with("http://127.0.0.1:")));
    switch (p.api) {
      case api_kind::openai_completions:
      case api_kind::openai_responses:
        if (p.id != "kilocode") CHECK(versioned(p.base_url));
        break;
      case api_kind::anthropic_messages:
        CHECK_FALSE(p.base_url.ends_with("/v1"));  // the client appends /v1/messages
        break;
      case api_kind::google_generative_ai:
        CHECK(p.base_url.ends_with("/v1beta"));
        break;
      case api_kind::ollama:
        CHECK(std::count(p.base_url.begin(), p.base_url.end(), '/') == 2);  // host root
        break;
    }
  }
  const catalog& cat = catalog::builtin();
  CHECK(cat.provider("openai")->base_url == "https://api.openai.com/v1");
  CHECK(cat.provider("anthropic")->base_url == "https://api.anthropic.com");
  CHECK(cat.provider("google")->base_url == "https://generativelanguage.googleapis.com/v1beta");
  CHECK(cat.provider("ollama")->base_url == "http://127.0.0.1:11434");
  CHECK(cat.provider("vllm")->base_url == "http://127.0.0.1:8000/v1");
  CHECK(cat.provider("sglang")->base_url == "http://127.0.0.1:30000/v1");
  CHECK(cat.provider("lmstudio")->base_url == "http://127.0.0.1:1234/v1");
  CHECK(cat.provider("litellm")->base_url == "http://127.0.0.1:4000/v1");
}

TEST_CASE("local providers need no key and have no fixed models", "[catalog]") {
  for (const auto& p : catalog::builtin().providers()) {
    INFO(p.id);
    bool is_local = p.id == "ollama" || p.id == "vllm" || p.id == "sglang" || p.id == "lmstudio" ||
                    p.id == "litellm";
    CHECK(p.local == is_local);
    CHECK(p.needs_key == !is_local);
    CHECK(p.models.empty() == is_local);
    CHECK_FALSE(p.auth_env.empty());
  }
  CHECK(catalog::builtin().provider("ollama")->api == api_kind::ollama);
}

TEST_CASE("built-in auth env stems and well-known models", "[catalog]") {
  const catalog& cat = catalog::builtin();
  CHECK(cat.provider("openai")->auth_env == std::vector<std::string>{"OPENAI"});
  CHECK(cat.provider("google")->auth_env == std::vector<std::string>{"GEMINI"});
  CHECK(cat.provider("google")->extra_env == std::vector<std::string>{"GOOGLE_API_KEY"});
  CHECK(cat.provider("zai")->auth_env == std::vector<std::string>{"ZAI"});
  CHECK(cat.provider("huggingface")->extra_env ==
        std::vector<std::string>{"HUGGINGFACE_HUB_TOKEN", "HF_TOKEN"});

  const model_info* gpt = cat.model(ref_of("openai", "gpt-5.4"));
  REQUIRE(gpt != nullptr);
  CHECK(gpt->api == api_kind::openai_responses);
  CHECK(gpt->reasoning);
  CHECK(gpt->input == std::vector<std::string>{"text", "image"});
  CHECK(gpt->context_window == 272000);
  CHECK(gpt->max_tokens == 128000);
  CHECK(gpt->cost.input == Approx(2.5));
  CHECK(gpt->cost.output == Approx(15));

  const model_info* opus = cat.model(ref_of("anthropic", "claude-opus-4-6"));
  REQUIRE(opus != nullptr);
  CHECK(opus->context_window == 1000000);
  CHECK(cat.model(ref_of("anthropic", "claude-sonnet-4-6")) != nullptr);
  CHECK(cat.model(ref_of("google", "gemini-3.1-pro-preview")) != nullptr);
  CHECK(cat.model(ref_of("deepseek", "deepseek-chat"))->compat["maxTokensField"] == "max_tokens");
}

TEST_CASE("lookups normalise provider and model spellings", "[catalog]") {
  const catalog& cat = catalog::builtin();
  CHECK(cat.provider("Z.AI") == cat.provider("zai"));
  CHECK(cat.provider("nope") == nullptr);
  const model_info* opus = cat.model(ref_of("anthropic", "opus-4.6"));
  REQUIRE(opus != nullptr);
  CHECK(opus->id == "claude-opus-4-6");
  CHECK(cat.model(ref_of("openai", "gpt-99")) == nullptr);
  CHECK(cat.model(ref_of("nope", "gpt-5.4")) == nullptr);
}

// ---- resolve ---------------------------------------------------------------------------

TEST_CASE("resolve accepts refs and the original's compatibility spellings", "[catalog]") {
  const catalog& cat = catalog::builtin();
  CHECK(*cat.resolve("openai/gpt-5.4") == ref_of("openai", "gpt-5.4"));
  CHECK(*cat.resolve("z-ai/glm-5") == ref_of("zai", "glm-5"));
  CHECK(*cat.resolve("anthropic/opus-4.6") == ref_of("anthropic", "claude-opus-4-6"));
  CHECK(*cat.resolve("google/gemini-3.1-flash-preview") ==
        ref_of("google", "gemini-3-flash-preview"));
  CHECK(*cat.resolve("openrouter/auto") == ref_of("openrouter", "openrouter/auto"));
  CHECK(*cat.resolve("openrouter:auto") == ref_of("openrouter", "openrouter/auto"));
  CHECK(*cat.resolve("openrouter/anthropic/claude-opus-4.6") ==
        ref_of("openrouter", "anthropic/claude-opus-4.6"));
  CHECK(cat.model(*cat.resolve("openrouter/auto")) != nullptr);
  // a known provider passes unknown model ids through (local servers list theirs at runtime)
  CHECK(*cat.resolve("ollama/llama3.3") == ref_of("ollama", "llama3.3"));
}

TEST_CASE("resolve places bare model names the original's way", "[catalog]") {
  const catalog& cat = catalog::builtin();
  CHECK(*cat.resolve("claude-opus-4-6") == ref_of("anthropic", "claude-opus-4-6"));
  CHECK(*cat.resolve("gpt-5.4") == ref_of("openai", "gpt-5.4"));

  auto unknown = cat.resolve("no-such-model");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == errc::invalid_argument);
  CHECK(contains(unknown.error().message, "'no-such-model'"));
  CHECK(contains(unknown.error().message, "provider/model"));

  auto typo = cat.resolve("claude-opus-4.6");
  REQUIRE_FALSE(typo);
  CHECK(contains(typo.error().message, "did you mean 'anthropic/claude-opus-4-6'?"));

  CHECK(cat.resolve("").error().code == errc::invalid_argument);
  CHECK(cat.resolve("gpt 5").error().code == errc::invalid_argument);

  // with a primary, a name nothing else claims goes to the primary's provider
  config cfg;
  cfg.agents.model.primary = "ollama/llama3.3";
  catalog with_primary = build(cfg);
  CHECK(*with_primary.resolve("qwen3:8b") == ref_of("ollama", "qwen3:8b"));
  CHECK(*with_primary.resolve("gpt-5.4") == ref_of("openai", "gpt-5.4"));
}

TEST_CASE("an unknown provider is not_found with a suggestion", "[catalog]") {
  auto r = catalog::builtin().resolve("opnai/gpt-5.4");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::not_found);
  CHECK(contains(r.error().message, "opnai/gpt-5.4"));
  CHECK(contains(r.error().message, "did you mean 'openai/gpt-5.4'"));

  auto far = catalog::builtin().resolve("acme-cloud/model-x");
  REQUIRE_FALSE(far);
  CHECK(far.error().code == errc::not_found);
  CHECK(contains(far.error().message, "acme-cloud"));
  CHECK(contains(far.error().message, "anthropic"));  // lists what is known
}

// ---- aliases and allowlist -------------------------------------------------------------

TEST_CASE("aliases resolve case-insensitively", "[catalog]") {
  config cfg;
  cfg.agents.models["anthropic/claude-opus-4-6"].alias = "Opus";
  cfg.agents.models["openai/gpt-5.4"] = {};  // the original fills in its default alias
  cfg.agents.models["z.ai/glm-5"].alias = "glm";
  catalog cat = build(cfg);

  CHECK(*cat.resolve("Opus") == ref_of("anthropic", "claude-opus-4-6"));
  CHECK(*cat.resolve("OPUS") == ref_of("anthropic", "claude-opus-4-6"));
  CHECK(*cat.resolve(" opus ") == ref_of("anthropic", "claude-opus-4-6"));
  CHECK(*cat.resolve("gpt") == ref_of("openai", "gpt-5.4"));
  CHECK(*cat.resolve("GLM") == ref_of("zai", "glm-5"));

  CHECK(cat.alias_of(ref_of("anthropic", "claude-opus-4-6")) == "Opus");
  CHECK(cat.alias_of(ref_of("openai", "gpt-5.4")) == "gpt");
  CHECK(cat.alias_of(ref_of("Z.AI", "glm-5")) == "glm");
  CHECK(cat.alias_of(ref_of("openai", "gpt-5.4-mini")).empty());
  CHECK(cat.allowlist().size() == 3);
}

TEST_CASE("agents.defaults.models is the allowlist", "[catalog]") {
  config cfg;
  cfg.agents.models["anthropic/claude-opus-4-6"].alias = "opus";
  cfg.agents.models["openai/gpt-5.4"] = {};
  cfg.agents.model.primary = "google/gemini-3.1-pro-preview";
  cfg.agents.model.fallbacks = {"openrouter/auto", "opus"};
  agent_config worker;
  worker.id = "worker";
  worker.model = model_choice{"groq/llama-3.3-70b-versatile", {}};
  cfg.agents.list.push_back(worker);
  catalog cat = build(cfg);

  REQUIRE(cat.has_allowlist());
  CHECK(cat.allowed(ref_of("openai", "gpt-5.4")));
  CHECK(cat.allowed(ref_of("anthropic", "opus-4.6")));  // normalised before comparing
  // the primary, the fallbacks and agents' models are allowed without being listed
  CHECK(cat.allowed(ref_of("google", "gemini-3.1-pro-preview")));
  CHECK(cat.allowed(ref_of("openrouter", "openrouter/auto")));
  CHECK(cat.allowed(ref_of("groq", "llama-3.3-70b-versatile")));
  CHECK_FALSE(cat.allowed(ref_of("openai", "gpt-5.4-mini")));

  auto denied = cat.resolve("openai/gpt-5.4-mini");
  REQUIRE_FALSE(denied);
  CHECK(denied.error().code == errc::permission_denied);
  CHECK(contains(denied.error().message,
                 "model 'openai/gpt-5.4-mini' is not in agents.defaults.models (the allowlist)"));
  CHECK(contains(denied.error().message, "allowed: "));
  CHECK(contains(denied.error().message, "openai/gpt-5.4"));
  auto typo = cat.resolve("openai/gpt-5.5");
  REQUIRE_FALSE(typo);
  CHECK(contains(typo.error().message, "did you mean 'openai/gpt-5.4'?"));

  CHECK(cat.resolve("opus"));
  CHECK(cat.resolve("gpt-5.4"));
  CHECK(cat.resolve("claude-sonnet-4-6").error().code == errc::permission_denied);
  // an unknown provider is reported as such even under an allowlist
  CHECK(cat.resolve("opnai/gpt-5.4").error().code == errc::not_found);

  CHECK_FALSE(catalog::builtin().has_allowlist());
  CHECK(catalog::builtin().allowed(ref_of("anything", "goes")));
}

TEST_CASE("a primary given as an alias is allowed", "[catalog]") {
  config cfg;
  cfg.agents.models["anthropic/claude-opus-4-6"].alias = "opus";
  cfg.agents.model.primary = "opus";
  catalog cat = build(cfg);
  CHECK(cat.allowed(ref_of("anthropic", "claude-opus-4-6")));
  // a bare name now lands on the primary's provider
  CHECK(cat.resolve("claude-new-model").error().code == errc::permission_denied);
  CHECK_FALSE(cat.allowed(ref_of("anthropic", "claude-new-model")));
}

// ---- config providers ------------------------------------------------------------------

TEST_CASE("merge mode overrides and extends built-in providers", "[catalog]") {
  config cfg;
  provider_config& anth = cfg.models.providers["anthropic"];
  anth.base_url = "https://llm-proxy.example.com";
  anth.headers["x-team"] = "blue";
  model_config capped;
  capped.id = "claude-opus-4-6";
  capped.context_tokens = 160000;
  anth.models.push_back(capped);
  model_config extra;
  extra.id = "claude-experimental";
  extra.reasoning = true;
  anth.models.push_back(extra);
  catalog cat = build(cfg);

  const provider_info* p = cat.provider("anthropic");
  REQUIRE(p != nullptr);
  CHECK(p->builtin);
  CHECK(p->base_url == "https://llm-proxy.example.com");
  CHECK(p->api == api_kind::anthropic_messages);  // a baseUrl alone keeps a built-in's api
  CHECK(p->headers.at("x-team") == "blue");
  CHECK(p->auth_env == std::vector<std::string>{"ANTHROPIC"});

  const model_info* opus = cat.model(ref_of("anthropic", "claude-opus-4-6"));
  REQUIRE(opus != nullptr);
  CHECK(opus->name == "Claude Opus 4.6");  // untouched fields keep the built-in values
  CHECK(opus->context_window == 1000000);
  CHECK(opus->context_tokens == 160000);
  CHECK(opus->effective_context() == 160000);

  const model_info* added = cat.model(ref_of("anthropic", "claude-experimental"));
  REQUIRE(added != nullptr);
  CHECK(added->reasoning);
  CHECK(added->api == api_kind::anthropic_messages);
  CHECK(p->models.back().id == "claude-experimental");  // appended
  CHECK(p->models.size() == catalog::builtin().provider("anthropic")->models.size() + 1);

  CHECK(cat.provider("openai") != nullptr);  // the rest of the built-ins stay
  CHECK(cat.providers().size() == catalog::builtin().providers().size());
}

TEST_CASE("config-only providers get the documented defaults", "[catalog]") {
  config cfg;
  provider_config& proxy = cfg.models.providers["my-proxy"];
  proxy.base_url = "http://10.0.0.5:8080/v1";
  model_config m;
  m.id = "local-llama";
  proxy.models.push_back(m);
  model_config small;
  small.id = "tiny";
  small.context_window = 4096;
  proxy.models.push_back(small);
  catalog cat = build(cfg);

  const provider_info* p = cat.provider("my-proxy");
  REQUIRE(p != nullptr);
  CHECK_FALSE(p->builtin);
  CHECK(p->api == api_kind::openai_completions);  // baseUrl without api
  CHECK(p->auth_env == std::vector<std::string>{"MY_PROXY"});
  CHECK(p->needs_key);

  const model_info* d = cat.model(ref_of("my-proxy", "local-llama"));
  REQUIRE(d != nullptr);
  CHECK(d->name == "local-llama");
  CHECK_FALSE(d->reasoning);
  CHECK(d->input == std::vector<std::string>{"text"});
  CHECK(d->cost.input == 0);
  CHECK(d->cost.output == 0);
  CHECK(d->cost.cache_read == 0);
  CHECK(d->cost.cache_write == 0);
  CHECK(d->context_window == 200000);
  CHECK(d->max_tokens == 8192);
  CHECK(d->context_tokens == 0);
  CHECK(cat.model(ref_of("my-proxy", "tiny"))->max_tokens == 4096);  // never above the window

  CHECK(*cat.resolve("my-proxy/local-llama") == ref_of("my-proxy", "local-llama"));
  CHECK(*cat.resolve("local-llama") == ref_of("my-proxy", "local-llama"));
}

TEST_CASE("an explicit api on a config provider applies to its models", "[catalog]") {
  config cfg;
  provider_config& pc = cfg.models.providers["LocalBox"];
  pc.base_url = "http://127.0.0.1:9000";
  pc.api = "anthropic-messages";
  pc.models.push_back(model_with_id("m1"));
  catalog cat = build(cfg);
  const provider_info* p = cat.provider("localbox");
  REQUIRE(p != nullptr);
  CHECK(p->id == "localbox");
  CHECK(p->api == api_kind::anthropic_messages);
  CHECK(p->models.at(0).api == api_kind::anthropic_messages);
  CHECK(p->local);
  CHECK_FALSE(p->needs_key);

  config remote;
  remote.models.providers["lookalike"].base_url = "https://localhost.example.com/v1";
  CHECK_FALSE(build(remote).provider("lookalike")->local);
}

TEST_CASE("replace mode keeps only the config's providers", "[catalog]") {
  config cfg;
  cfg.models.mode = "replace";
  provider_config& oai = cfg.models.providers["openai"];
  oai.models.push_back(model_with_id("gpt-5.4"));
  provider_config& lm = cfg.models.providers["lmstudio"];
  lm.models.push_back(model_with_id("my-local-model", "Local Model"));
  catalog cat = build(cfg);

  REQUIRE(cat.providers().size() == 2);
  CHECK(cat.provider("anthropic") == nullptr);
  const provider_info* p = cat.provider("openai");
  REQUIRE(p != nullptr);
  CHECK(p->base_url == "https://api.openai.com/v1");  // a built-in's address is kept
  REQUIRE(p->models.size() == 1);
  CHECK(p->models[0].context_window == 200000);  // not the built-in model's values
  CHECK(cat.model(ref_of("lmstudio", "my-local-model"))->name == "Local Model");
  CHECK(cat.resolve("anthropic/claude-opus-4-6").error().code == errc::not_found);
}

TEST_CASE("bad provider config is reported with its key path", "[catalog]") {
  const std::string canary = "sk-canary-4f9d2c7a1b";
  config cfg;
  provider_config& pc = cfg.models.providers["acme"];
  pc.base_url = "https://acme.example.com/v1";
  pc.api = "bedrock-converse-stream";
  pc.api_key = secret(canary);
  auto r = catalog::from_config(cfg);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(contains(r.error().message, "models.providers.acme"));
  CHECK(contains(r.error().message, "'acme'"));
  CHECK(contains(r.error().message, "bedrock-converse-stream"));
  CHECK_FALSE(contains(r.error().describe(), canary));

  config no_url;
  no_url.models.providers["acme"].api_key = secret(canary);
  auto missing = catalog::from_config(no_url);
  REQUIRE_FALSE(missing);
  CHECK(contains(missing.error().message, "baseUrl"));
  CHECK_FALSE(contains(missing.error().describe(), canary));

  config bad_mode;
  bad_mode.models.mode = "mix";
  CHECK(catalog::from_config(bad_mode).error().code == errc::invalid_argument);

  config no_id;
  no_id.models.providers["openai"].models.push_back(model_config{});
  CHECK(contains(catalog::from_config(no_id).error().message, "models.providers.openai.models[0]"));
}

// ---- credentials -----------------------------------------------------------------------

TEST_CASE("credentials come in the documented order, deduplicated", "[catalog]") {
  provider_info p = *catalog::builtin().provider("openai");
  p.api_key = secret("k-config");
  auto env = env_of({
      {"OPENAI_API_KEYS", " k-list1 , k-list2;k-list3;;"},
      {"OPENAI_API_KEY", "k-primary"},
      {"OPENAI_API_KEY_10", "k-ten"},
      {"OPENAI_API_KEY_2", "k-two"},
      {"OPENAI_API_KEY_1", "k-list2"},  // duplicate of a list entry: dropped
      {"OPENAI_API_KEY_BACKUP", "k-backup"},
      {"ANTHROPIC_API_KEY", "k-other-provider"},
  });
  auto creds = resolve_credentials(p, env);
  CHECK(keys(creds) == std::vector<std::string>{"k-list1", "k-list2", "k-list3", "k-primary",
                                                "k-two", "k-ten", "k-backup", "k-config"});
  CHECK(sources(creds) == std::vector<std::string>{"OPENAI_API_KEYS[1]", "OPENAI_API_KEYS[2]",
                                                   "OPENAI_API_KEYS[3]", "OPENAI_API_KEY",
                                                   "OPENAI_API_KEY_2", "OPENAI_API_KEY_10",
                                                   "OPENAI_API_KEY_BACKUP", "config"});
}

TEST_CASE("a live key overrides every other source", "[catalog]") {
  provider_info p = *catalog::builtin().provider("openai");
  auto creds = resolve_credentials(p, env_of({{"OPENAI_API_KEY", "k-primary"},
                                              {"OPENCLAW_LIVE_OPENAI_KEY", "k-openclaw"},
                                              {"DURAR_LIVE_OPENAI_KEY", " k-live "}}));
  REQUIRE(creds.size() == 1);
  CHECK(creds[0].source == "DURAR_LIVE_OPENAI_KEY");
  CHECK(creds[0].key.reveal() == "k-live");

  creds = resolve_credentials(
      p, env_of({{"OPENAI_API_KEY", "k-primary"}, {"OPENCLAW_LIVE_OPENAI_KEY", "k-openclaw"}}));
  REQUIRE(creds.size() == 1);
  CHECK(creds[0].source == "OPENCLAW_LIVE_OPENAI_KEY");

  // an empty live variable is unset
  creds = resolve_credentials(p, env_of({{"OPENAI_API_KEY", "k"}, {"DURAR_LIVE_OPENAI_KEY", ""}}));
  CHECK(sources(creds) == std::vector<std::string>{"OPENAI_API_KEY"});
}

TEST_CASE("google keys use the GEMINI stem with GOOGLE_API_KEY last", "[catalog]") {
  const provider_info& g = *catalog::builtin().provider("google");
  auto creds = resolve_credentials(g, env_of({{"GOOGLE_API_KEY", "g-google"},
                                              {"GEMINI_API_KEY", "g-gemini"},
                                              {"GEMINI_API_KEY_1", "g-one"},
                                              {"GOOGLE_API_KEYS", "ignored"}}));
  CHECK(sources(creds) ==
        std::vector<std::string>{"GEMINI_API_KEY", "GEMINI_API_KEY_1", "GOOGLE_API_KEY"});
  CHECK(resolve_credentials(g, env_of({{"DURAR_LIVE_GEMINI_KEY", "live"}})).at(0).source ==
        "DURAR_LIVE_GEMINI_KEY");
}

TEST_CASE("config-only providers derive their env stem from the id", "[catalog]") {
  config cfg;
  cfg.models.providers["my-proxy"].base_url = "https://proxy.example.com/v1";
  cfg.models.providers["my-proxy"].api_key = secret("from-config");
  catalog cat = build(cfg);
  auto creds =
      resolve_credentials(*cat.provider("my-proxy"), env_of({{"MY_PROXY_API_KEY", "from-env"}}));
  CHECK(sources(creds) == std::vector<std::string>{"MY_PROXY_API_KEY", "config"});

  provider_info bare;
  bare.id = "acme-ai";
  bare.auth_env.clear();
  CHECK(resolve_credentials(bare, env_of({{"ACME_AI_API_KEY", "x"}})).size() == 1);
  CHECK(resolve_credentials(bare, env_of({{"ACME_AI_API_KEY", "   "}})).empty());
}

TEST_CASE("no message or printed credential contains the key", "[catalog]") {
  const std::string canary = "sk-canary-0d1e2a3d4b5e6e7f";
  provider_info p = *catalog::builtin().provider("openai");
  p.api_key = secret(canary + "-config");
  auto creds = resolve_credentials(
      p, env_of({{"OPENAI_API_KEY", canary}, {"OPENAI_API_KEYS", canary + "-a," + canary + "-b"}}));
  REQUIRE(creds.size() == 4);
  for (const auto& c : creds) {
    CHECK_FALSE(contains(c.source, canary));
    std::string printed = fmt::format("{} {} {:>40}", c, c.key, c);
    CHECK_FALSE(contains(printed, canary));
    CHECK(contains(printed, "***"));
    std::ostringstream os;
    os << c << ' ' << c.key;
    CHECK_FALSE(contains(os.str(), canary));
  }
  CHECK(fmt::format("{}", creds[0]) == "OPENAI_API_KEYS[1]=***");
}

TEST_CASE("a bare fragment that names no model offers catalog models containing it", "[catalog]") {
  auto r = durar::catalog::builtin().resolve("opus");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == durar::errc::invalid_argument);
  CHECK(r.error().message.find("anthropic/claude-opus-4-6") != std::string::npos);
}
