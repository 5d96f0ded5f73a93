// The official openai SDK's function-calling loops (Responses and Chat Completions) against
// `durar gateway run`: the model's call to the client's tool comes back, the SDK sends the
// output, and the model answers from it. The fake vendor answers in turn: the call, then
// the answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import OpenAI from 'openai';
import { data, token, startStack } from './harness.mjs';

let stack, client;

const tools = [{
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: {
    type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false,
  },
  strict: true,
}];

before(async () => {
  stack = await startStack([
    join(data, 'agent/openai-completions/weather_call.response.sse'),
    join(data, 'agent/openai-completions/weather_answer.response.sse'),
  ]);
  client = new OpenAI({ apiKey: token, baseURL: `${stack.gw.url}/v1`, maxRetries: 0, timeout: 20000 });
});

after(async () => {
  const { code, log } = stack ? await stack.stop() : { code: 0, log: '' };
  assert.equal(code, 0, `the gateway exits cleanly on SIGTERM: ${log}`);
});

test('a function call, its output by previous_response_id, then the answer', async () => {
  const first = await client.responses.create({ model: 'durar', input: 'Weather in Paris?', tools });
  const calls = first.output.filter((item) => item.type === 'function_call');
  assert.equal(calls.length, 1, JSON.stringify(first.output));
  assert.equal(calls[0].name, 'get_weather');
  assert.deepEqual(JSON.parse(calls[0].arguments), { city: 'Paris' });

  const second = await client.responses.create({
    model: 'durar',
    previous_response_id: first.id,
    input: [{ type: 'function_call_output', call_id: calls[0].call_id, output: '18C and sunny' }],
    tools,
  });
  assert.equal(second.output_text, 'It is 18°C and sunny in Paris.');
});

test('the same loop streamed, the SDK gathering the call from the events', async () => {
  const stream = client.responses.stream({ model: 'durar', input: 'Weather in Paris?', tools });
  const argumentDeltas = [];
  stream.on('response.function_call_arguments.delta', (e) => argumentDeltas.push(e.delta));
  const first = await stream.finalResponse();
  const call = first.output.find((item) => item.type === 'function_call');
  assert.ok(call, JSON.stringify(first.output));
  assert.deepEqual(JSON.parse(argumentDeltas.join('')), { city: 'Paris' });

  const second = await client.responses.create({
    model: 'durar',
    previous_response_id: first.id,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: '18C and sunny' }],
    tools,
    stream: true,
  });
  let text = '';
  for await (const ev of second) if (ev.type === 'response.output_text.delta') text += ev.delta;
  assert.equal(text, 'It is 18°C and sunny in Paris.');
});

const chatTools = tools.map(({ type, name, description, parameters }) => ({
  type, function: { name, description, parameters },
}));

test('chat completions: tool_calls, then the tool message, as the SDK loop sends them', async () => {
  const messages = [{ role: 'user', content: 'Weather in Paris?' }];
  const first = await client.chat.completions.create({ model: 'durar', messages, tools: chatTools });
  const choice = first.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  const call = choice.message.tool_calls[0];
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });

  messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: '18C and sunny' });
  const second = await client.chat.completions.create({ model: 'durar', messages, tools: chatTools });
  assert.equal(second.choices[0].message.content, 'It is 18°C and sunny in Paris.');
  assert.equal(second.choices[0].finish_reason, 'stop');
});

test('chat completions streamed: the SDK assembles the call from the pieces the model wrote', async () => {
  const messages = [{ role: 'user', content: 'Weather in Paris?' }];
  const stream = client.chat.completions.stream({ model: 'durar', messages, tools: chatTools });
  const pieces = [];
  stream.on('chunk', (chunk) => {
    for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) {
      if (tc.function?.arguments) pieces.push(tc.function.arguments);
    }
  });
  const first = await stream.finalChatCompletion();
  const choice = first.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  const call = choice.message.tool_calls[0];
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
  // The upstream sent the arguments in two pieces; they come through as it sent them.
  assert.deepEqual(pieces, ['{"city":', ' "Paris"}']);

  messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: '18C and sunny' });
  const second = await client.chat.completions.create({ model: 'durar', messages, tools: chatTools });
  assert.equal(second.choices[0].message.content, 'It is 18°C and sunny in Paris.');
});
