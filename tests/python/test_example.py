"""examples/python_host/main.py end to end: a streamed turn with a Python tool."""

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python_host" / "main.py"
WEATHER = ["agent/openai-completions/weather_call.response.sse",
           "agent/openai-completions/weather_answer.response.sse"]


def test_python_host_example(fake_vendor, write_config):
    vendor = fake_vendor(*WEATHER)
    config = write_config(vendor.url)
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "It is 18°C and sunny in Paris.\n"
    assert "[get_weather {'city': 'Paris'}]" in run.stderr
