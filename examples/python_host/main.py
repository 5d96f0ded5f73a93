#!/usr/bin/env python3
"""python_host: one streamed agent turn in which the model calls a Python function.

    PYTHONPATH=build/bindings/python python3 examples/python_host/main.py [CONFIG] [QUESTION]
"""

import sys

import durar

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "City name"}},
    "required": ["city"],
}


def main(argv):
    config = durar.load_config(argv[1] if len(argv) > 1 else None)
    question = argv[2] if len(argv) > 2 else "What is the weather in Paris?"

    with durar.Agent(config, session_key="python-host") as agent:

        @agent.tool(description="Current weather for a city", schema=WEATHER_SCHEMA)
        def get_weather(args):
            # Runs on this thread, between the events of the loop below.
            return f"18°C and sunny in {args['city']}"

        for event in agent.stream(question):
            if event["type"] == "message_update":
                update = event["assistantMessageEvent"]
                if update["type"] == "text_delta":
                    print(update["delta"], end="", flush=True)
            elif event["type"] == "tool_execution_start":
                print(f"[{event['toolName']} {event['args']}]", file=sys.stderr)
            elif event["type"] == "agent_end":
                print()
                if event["stop"] != "done":
                    print(f"run ended: {event['stop']} {event.get('reason', '')}",
                          file=sys.stderr)
                    return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except durar.Error as e:
        print(f"error ({e.code}): {e}", file=sys.stderr)
        sys.exit(1)
