// A raw `ws` client speaking the control protocol to `durar gateway run`, and the CLI's own
// gateway commands against the same process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import WebSocket from 'ws';
import { data, token, startStack, runCli } from './harness.mjs';

let stack, home, gw;

before(async () => {
  stack = await startStack([join(data, 'providers/router/hello.response.sse')]);
  ({ home, gw } = stack);
});

after(async () => {
  await stack?.stop();
});

// Opens a socket and gathers frames; `next(pred)` waits (bounded) for a matching one.
function open(url) {
  const ws = new WebSocket(url);
  const frames = [];
  const waiters = [];
  ws.on('message', (m) => {
    const f = JSON.parse(m.toString());
    frames.push(f);
    for (const w of [...waiters]) if (w.pred(f)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(f); }
  });
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  const next = (pred, ms = 15000) => {
    const seen = frames.find(pred);
    if (seen) { frames.splice(frames.indexOf(seen), 1); return Promise.resolve(seen); }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no matching frame in time')), ms);
      waiters.push({ pred, resolve: (f) => { clearTimeout(t); frames.splice(frames.indexOf(f), 1); resolve(f); } });
    });
  };
  const opened = new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  return { ws, frames, next, closed, opened };
}

const connectParams = (secret) => ({
  minProtocol: 3, maxProtocol: 3,
  client: { id: 'test', version: '1', platform: 'linux', mode: 'test' },
  role: 'operator', scopes: ['operator.read', 'operator.write', 'operator.admin'],
  auth: { token: secret },
});

async function connected() {
  const c = open(gw.wsUrl);
  await c.opened;
  const challenge = await c.next((f) => f.type === 'event' && f.event === 'connect.challenge');
  assert.ok(challenge.payload.nonce);
  c.ws.send(JSON.stringify({ type: 'req', id: 'c1', method: 'connect', params: connectParams(token) }));
  const hello = await c.next((f) => f.type === 'res' && f.id === 'c1');
  assert.equal(hello.ok, true, JSON.stringify(hello));
  return { ...c, hello: hello.payload };
}

test('handshake, hello-ok, health and an unknown method', async () => {
  const c = await connected();
  assert.equal(c.hello.type, 'hello-ok');
  assert.equal(c.hello.protocol, 3);
  assert.ok(c.hello.features.methods.includes('chat.send'));
  c.ws.send(JSON.stringify({ type: 'req', id: 'h', method: 'health', params: {} }));
  assert.equal((await c.next((f) => f.id === 'h')).ok, true);
  c.ws.send(JSON.stringify({ type: 'req', id: 'u', method: 'no.such.method', params: {} }));
  assert.equal((await c.next((f) => f.id === 'u')).ok, false);
  c.ws.close();
});

test('a wrong token is refused and the socket closed with 1008', async () => {
  const c = open(gw.wsUrl);
  await c.opened;
  await c.next((f) => f.event === 'connect.challenge');
  c.ws.send(JSON.stringify({ type: 'req', id: 'c1', method: 'connect', params: connectParams('nope') }));
  const res = await c.next((f) => f.id === 'c1');
  assert.equal(res.ok, false);
  assert.match(res.error.message, /unauthorized/);
  assert.equal(await c.closed, 1008);
});

test('a first frame that is not connect closes the socket', async () => {
  const c = open(gw.wsUrl);
  await c.opened;
  c.ws.send(JSON.stringify({ type: 'req', id: 'x', method: 'health', params: {} }));
  assert.equal(await c.closed, 1008);
});

test('chat.send streams chat events to a final answer, then history and sessions.list', async () => {
  const c = await connected();
  c.ws.send(JSON.stringify({ type: 'req', id: 's', method: 'chat.send',
    params: { sessionKey: 'agent:main:ws-test', message: 'hi', idempotencyKey: 'k1' } }));
  const started = await c.next((f) => f.id === 's');
  assert.equal(started.ok, true, JSON.stringify(started));
  const final = await c.next((f) => f.event === 'chat' && f.payload.state === 'final');
  assert.equal(final.payload.sessionKey, 'agent:main:ws-test');
  c.ws.send(JSON.stringify({ type: 'req', id: 'hist', method: 'chat.history', params: { sessionKey: 'agent:main:ws-test' } }));
  const hist = await c.next((f) => f.id === 'hist');
  assert.equal(hist.ok, true);
  assert.ok(JSON.stringify(hist.payload).includes('Hello from the fake'));
  c.ws.send(JSON.stringify({ type: 'req', id: 'l', method: 'sessions.list', params: {} }));
  const list = await c.next((f) => f.id === 'l');
  assert.ok(list.payload.sessions.some((s) => s.key === 'agent:main:ws-test'));
  // Event sequence numbers count up by one.
  const seqs = c.frames.concat([final]).filter((f) => f.type === 'event' && f.seq !== undefined).map((f) => f.seq).sort((a, b) => a - b);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1);
  c.ws.close();
});

test('the CLI finds the running gateway: status, call, health', async () => {
  const env = { DURAR_GATEWAY_PORT: String(gw.port) };
  const status = await runCli(home.home, ['gateway', 'status', '--json'], env);
  assert.equal(status.code, 0, status.err);
  assert.equal(JSON.parse(status.out).running, true);
  const call = await runCli(home.home, ['gateway', 'call', 'health'], env);
  assert.equal(call.code, 0, call.err);
  const bad = await runCli(home.home, ['gateway', 'status'], { ...env, DURAR_GATEWAY_TOKEN: 'wrong' });
  assert.notEqual(bad.code, 0);
  assert.ok(!bad.out.includes('wrong') && !bad.err.includes(token));
});

test('durar agent sends its turn through the running gateway, --local does not', async () => {
  const env = { DURAR_GATEWAY_PORT: String(gw.port) };
  const c = await connected();  // a watcher sees the CLI's run as gateway events
  const r = await runCli(home.home, ['agent', '-m', 'hi', '--session', 'via-gw'], env);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'Hello from the fake\n');
  const ev = await c.next((f) => f.event === 'agent' && f.payload.sessionKey === 'agent:main:via-gw');
  assert.ok(ev.payload.runId);
  const local = await runCli(home.home, ['agent', '-m', 'hi', '--session', 'local-one', '--local'], env);
  assert.equal(local.code, 0, local.err);
  // Had the run gone through the gateway, its events were queued to us before the CLI's
  // answer; a round trip on our socket flushes anything queued before it.
  c.ws.send(JSON.stringify({ type: 'req', id: 'flush', method: 'health', params: {} }));
  await c.next((f) => f.id === 'flush');
  assert.ok(!c.frames.some((f) => f.event === 'agent' && f.payload.sessionKey === 'agent:main:local-one'));
  c.ws.close();
});
