// The official openai SDK against `durar gateway run`, which runs the turns through a fake
// vendor: models, chat completions (whole and streamed), responses, embeddings, auth.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { data, token, vendorKey, startStack } from './harness.mjs';

let stack, home, gw, client;

before(async () => {
  stack = await startStack([
    join(data, 'providers/router/hello.response.sse'),
    `/v1/embeddings=${join(data, 'providers/openai-completions/embeddings.response.json')}`,
  ]);
  ({ home, gw } = stack);
  client = new OpenAI({ apiKey: token, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 20000 });
});

after(async () => {
  const { code, log } = stack ? await stack.stop() : { code: 0, log: '' };
  assert.equal(code, 0, `the gateway exits cleanly on SIGTERM: ${log}`);
  assert.ok(!log.includes(token) && !log.includes(vendorKey), 'no secret in the gateway log');
});

test('models are the agents', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  for (const id of ['durar', 'durar/default', 'durar/main']) assert.ok(ids.includes(id), `${id} in ${ids}`);
  const one = await client.models.retrieve('durar/main');
  assert.equal(one.id, 'durar/main');
});

test('a wrong token is a 401 in OpenAI error shape', async () => {
  const bad = new OpenAI({ apiKey: 'wrong', baseURL: `${gw.url}/v1`, maxRetries: 0 });
  await assert.rejects(bad.models.list(), (e) => e.status === 401 && typeof e.message === 'string');
});

test('chat completion, whole', async () => {
  const r = await client.chat.completions.create({
    model: 'durar', messages: [{ role: 'user', content: 'hi' }],
  });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0].message.content, 'Hello from the fake');
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.ok(r.usage.total_tokens > 0);
});

test('chat completion, streamed', async () => {
  const stream = await client.chat.completions.create({
    model: 'durar/main', stream: true, messages: [{ role: 'user', content: 'hi again' }],
  });
  let text = '', finish = null, chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(text, 'Hello from the fake');
  assert.equal(finish, 'stop');
  assert.ok(chunks >= 3);
});

test('an unknown model is a 4xx before any byte', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'durar/nobody', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status >= 400 && e.status < 500);
});

test('responses, whole and streamed', async () => {
  const r = await client.responses.create({ model: 'durar', input: 'hello' });
  assert.equal(r.output_text, 'Hello from the fake');
  const stream = await client.responses.create({ model: 'durar', input: 'hello', stream: true });
  const types = [];
  let text = '';
  for await (const ev of stream) {
    types.push(ev.type);
    if (ev.type === 'response.output_text.delta') text += ev.delta;
  }
  assert.equal(text, 'Hello from the fake');
  assert.equal(types[0], 'response.created');
  assert.equal(types.at(-1), 'response.completed');
});

test('embeddings: base64 by default in the SDK, and float', async () => {
  const b64 = await client.embeddings.create({ model: 'fake/text-embedding-3-small', input: ['a', 'b'] });
  assert.equal(b64.data.length, 2);
  assert.ok(Math.abs(b64.data[0].embedding[0] - 0.0023064255) < 1e-6);
  const fl = await client.embeddings.create({
    model: 'fake/text-embedding-3-small', input: ['a', 'b'], encoding_format: 'float',
  });
  assert.ok(Array.isArray(fl.data[0].embedding));
});

// The gateway writes its session index in the background, moments after a turn: poll it
// (bounded) until it names a session.
async function readIndex(path) {
  for (let i = 0; i < 200; i++) {
    try {
      const index = JSON.parse(readFileSync(path, 'utf8'));
      if (Object.keys(index).length > 0) return index;
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

test('the transcript holds the turns and no secret', async () => {
  const index = await readIndex(join(home.home, '.durar/agents/main/sessions/sessions.json'));
  const keys = Object.keys(index);
  assert.ok(keys.length >= 1, `sessions: ${keys}`);
  for (const k of keys) {
    const t = readFileSync(join(home.home, '.durar/agents/main/sessions', `${index[k].sessionId}.jsonl`), 'utf8');
    assert.ok(!t.includes(token) && !t.includes(vendorKey));
  }
});
