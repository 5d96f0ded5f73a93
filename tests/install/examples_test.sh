#!/usr/bin/env bash
# The examples as built in this tree, against durar-fake-vendor: minimal_chat streams an
# answer, custom_tool's tool is called, and session_resume continues its session in a
# second process.
# Usage: examples_test.sh KEY=VALUE... (tests/install/CMakeLists.txt passes them).
set -euo pipefail
for kv in "$@"; do declare "$kv"; done
: "${MINIMAL_CHAT:?}" "${CUSTOM_TOOL:?}" "${SESSION_RESUME:?}" "${FAKE_VENDOR:?}" \
  "${TEST_DATA:?}" "${WORK:?}"

# shellcheck source=tests/install/harness.sh
source "$(dirname "$0")/harness.sh"
rm -rf "$WORK"
home=$WORK/home
state=$WORK/state
mkdir -p "$WORK" "$home" "$state"
rec=$TEST_DATA/agent/openai-completions

step "minimal_chat"
start_vendor "$rec/answer_one.response.sse"
run "$MINIMAL_CHAT" "Say something."
[[ -n $out ]] || fail "minimal_chat printed nothing"
first_answer=$out
stop_vendor

step "custom_tool"
start_vendor "$rec/weather_call.response.sse" "$rec/weather_answer.response.sse"
MODEL=fake/m1 run "$CUSTOM_TOOL" "What is the weather in Paris?"
[[ $out == *'[tool call: get_weather {"city":"Paris"}]'* && $out == *"sunny in Paris."* ]] ||
  fail "custom_tool printed: $out"
stop_vendor

step "session_resume: two processes, one conversation"
start_vendor "$rec/answer_one.response.sse" "$rec/answer_two.response.sse"
run "$SESSION_RESUME" -s demo "Remember the number 7."
[[ $out == "[new session agent:main:demo]"* ]] || fail "first run printed: $out"
[[ $out == *"$first_answer"* ]] || fail "first run lacks the answer: $out"
run "$SESSION_RESUME" -m fake/m1 -s demo "Which number?"
[[ $out == *"[resuming agent:main:demo: 2 earlier messages]"* ]] || fail "second run printed: $out"
[[ $out == *"[last answer: $first_answer]"* ]] || fail "second run lacks the last answer: $out"
ls "$state"/agents/main/sessions/*.jsonl >/dev/null || fail "no transcript under $state"
lines=$(cat "$state"/agents/main/sessions/*.jsonl | wc -l)
((lines == 5)) || fail "the transcript has $lines lines, expected 5 (header + 2 turns)"
stop_vendor

echo "examples test passed"
