// Starts the real programs for the client tests: the fake vendor, then `durar gateway
// run` with a private HOME and config. Paths come from CTest's environment.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const cli = process.env.DURAR_CLI;
export const fakeVendor = process.env.DURAR_FAKE_VENDOR;
export const data = process.env.DURAR_TEST_DATA;
export const token = 'gw-canary-token-55';
export const vendorKey = 'sk-canary-vendor-66';

// The first stdout line of a child, within `ms`.
function firstLine(child, what, ms = 20000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} printed nothing in ${ms} ms`)), ms);
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (line) => { clearTimeout(timer); resolve(line); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited with ${code}`)); });
  });
}

export async function startFakeVendor(recordings) {
  const child = spawn(fakeVendor, recordings, { stdio: ['pipe', 'pipe', 'inherit'] });
  const url = await firstLine(child, 'durar-fake-vendor');
  return { child, url, stop: () => child.stdin.end() };
}

export function makeHome(vendorUrl, extraYaml = '') {
  const home = mkdtempSync(join(tmpdir(), 'durar-gw-home-'));
  mkdirSync(join(home, '.durar'), { recursive: true });
  writeFileSync(join(home, '.durar', 'durar.yaml'), [
    'models:',
    '  providers:',
    '    fake:',
    `      baseUrl: ${vendorUrl}/v1`,
    '      api: openai-completions',
    '      models: [{ id: m1, cost: { input: 2, output: 10 } }]',
    'agents:',
    '  defaults:',
    '    model: { primary: fake/m1 }',
    `    workspace: ${join(home, 'ws')}`,
    'gateway:',
    '  auth:',
    `    token: ${token}`,
    extraYaml,
  ].join('\n'));
  return { home, remove: () => rmSync(home, { recursive: true, force: true }) };
}

export function durarEnv(home) {
  return { HOME: home, PATH: process.env.PATH, FAKE_API_KEY: vendorKey };
}

export async function startGateway(home) {
  const child = spawn(cli, ['gateway', 'run', '--port', '0', '--json'],
    { env: durarEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const line = await firstLine(child, 'durar gateway run');
  const { url, port } = JSON.parse(line);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child, url, port, wsUrl: `ws://127.0.0.1:${port}`,
    stderr: () => stderr,
    stop: async () => { child.kill('SIGTERM'); return exited; },
  };
}

// Runs the durar CLI to completion.
export function runCli(home, args, extraEnv = {}) {
  return new Promise((resolve) => {
    const child = spawn(cli, args, { env: { ...durarEnv(home), ...extraEnv } });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

// The fake vendor serving `recordings`, a private HOME configured for it, and `durar gateway
// run` on it. `stop()` ends all three and gives the gateway's exit code and its stderr.
export async function startStack(recordings) {
  const vendor = await startFakeVendor(recordings);
  const home = makeHome(vendor.url);
  let gw;
  try {
    gw = await startGateway(home.home);
  } catch (e) {
    vendor.stop();
    home.remove();
    throw e;
  }
  return {
    vendor, home, gw,
    stop: async () => {
      const end = await gw.stop();
      vendor.stop();
      const log = gw.stderr();
      home.remove();
      return { code: end.code, log };
    },
  };
}
