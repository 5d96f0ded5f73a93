// Opens a transcript Durar wrote (tests/compat/session_writer.cpp) with the original's
// SessionManager and checks what it sees. Exit 0 when it matches, 1 with a reason if not.
//   node check_durar_transcript.mjs <node_modules dir> <transcript.jsonl>
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, file] = process.argv.slice(2);
const sm = await import(
  pathToFileURL(resolve(modules, "@mariozechner/pi-coding-agent/dist/core/session-manager.js")).href
);
const s = sm.SessionManager.open(file);
const entries = s.getEntries();
const ctx = s.buildSessionContext();
const seen = {
  entries: entries.length,
  branch: s.getBranch().length,
  types: entries.map((e) => e.type),
  context: ctx.messages.map((m) => m.role),
  model: ctx.model,
  thinkingLevel: ctx.thinkingLevel,
  summary: ctx.messages[0]?.summary,
  lastText: ctx.messages.at(-1)?.content?.[0]?.text,
};
const expected = {
  entries: 13,
  branch: 13,
  types: ["model_change", "thinking_level_change", "message", "message", "message", "message",
          "message", "message", "compaction", "model_change", "custom", "custom_message", "message"],
  context: ["compactionSummary", "user", "assistant", "custom", "user"],
  model: { provider: "openai", modelId: "gpt-5.4" },
  thinkingLevel: "low",
  summary: "Listed /srv/project.",
  lastText: "Thanks!",
};
const a = JSON.stringify(seen), b = JSON.stringify(expected);
if (a !== b) {
  console.error(`the original reads the Durar transcript differently:\n seen     ${a}\n expected ${b}`);
  process.exit(1);
}
console.log(`the original read ${file}: ${seen.entries} entries, context ${seen.context.join(",")}`);
