/**
 * Starts a private moto_server (Python moto 5.2.1, server extra) on a free loopback port.
 *
 * Every integration test file starts its own server, so files never share state even
 * when jest runs them in parallel workers:
 *
 *   let moto: MotoServer;
 *   beforeAll(async () => { moto = await startMotoServer(); });
 *   afterEach(() => moto.reset());
 *   afterAll(() => moto.stop());
 *
 * Safety nets against orphaned servers when a run crashes:
 *   - on Linux the server is started through `setpriv --pdeathsig KILL` (util-linux), so the
 *     kernel kills it as soon as the spawning process dies, even by SIGKILL;
 *   - a process 'exit' handler and SIGINT/SIGTERM/SIGHUP handlers kill every live server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants as fsConstants,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface MotoServer {
  /** e.g. http://127.0.0.1:49152 — pass to SDK clients as `endpoint`. */
  endpoint: string;
  port: number;
  /** POST /moto-api/reset: drops every resource in every Region and service. */
  reset(): Promise<void>;
  /** Kills the server and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

export const MOTO_VERSION = '5.2.1';

export const MOTO_INSTALL_HINT =
  `moto_server was not found on PATH. The local sandbox and the integration tests need moto ${MOTO_VERSION} with its server extra. ` +
  `Install it with:  pipx install "moto[server]==${MOTO_VERSION}"  ` +
  `(or: pip install "moto[server]==${MOTO_VERSION}")`;

const HOST = '127.0.0.1';
const START_DEADLINE_MS = 20_000;
const POLL_INTERVAL_MS = 50;
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_BYTES = 4_000;

/** Every server started by this process and not yet exited. */
const live = new Set<ChildProcess>();
/** Log folders of servers that started and were not stopped yet: removed on exit too. */
const liveLogDirs = new Set<string>();
let safetyNetInstalled = false;

function killAllSync(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const dir of liveLogDirs) rmSync(dir, { recursive: true, force: true });
  liveLogDirs.clear();
}

function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllSync();
      // Keep the default behaviour (terminate) unless someone else handles the signal.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Asks the OS for a free loopback port: bind port 0, read it, close. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`could not read the port bound on ${HOST}`));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

interface HttpResult {
  status: number;
  body: string;
}

/** One request on a fresh connection (no keep-alive sockets left behind for jest). */
function request(method: 'GET' | 'POST', url: string, timeoutMs: number): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, agent: false, headers: { connection: 'close' }, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < 10_000) body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function readTail(file: string): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.length > LOG_TAIL_BYTES ? `…${text.slice(-LOG_TAIL_BYTES)}` : text;
  } catch {
    return '(no output captured)';
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

let setprivAvailable: boolean | undefined;

function spawnMoto(executable: string, port: number, logFd: number, options: MotoServerOptions): ChildProcess {
  const args = ['-H', HOST, '-p', String(port)];
  if (setprivAvailable === undefined)
    setprivAvailable = process.platform === 'linux' && onPath('setpriv') !== undefined;
  const [command, commandArgs] = setprivAvailable
    ? ['setpriv', ['--pdeathsig', 'KILL', '--', executable, ...args]]
    : [executable, args];
  return spawn(command, commandArgs, {
    env: {
      ...process.env,
      MOTO_EC2_LOAD_DEFAULT_AMIS: 'false',
      PYTHONUNBUFFERED: '1',
      ...(options.pythonPath?.length ? { PYTHONPATH: [...options.pythonPath, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) } : {}),
    },
    stdio: ['ignore', logFd, logFd],
  });
}

class StartFailure extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
  }
}

async function startOnce(
  executable: string,
  logDir: string,
  attempt: number,
  options: MotoServerOptions,
): Promise<{ child: ChildProcess; port: number; logFile: string }> {
  const port = await findFreePort();
  const logFile = path.join(logDir, `moto-${attempt}.log`);
  const logFd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawnMoto(executable, port, logFd, options);
  } finally {
    closeSync(logFd); // the child holds its own copy
  }
  // A forgotten stop() must not keep the test process alive: the 'exit' handler kills it then.
  child.unref();
  live.add(child);
  child.once('exit', () => live.delete(child));

  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  const started = Date.now();
  const probeUrl = `http://${HOST}:${port}/moto-api/`;
  while (Date.now() - started < START_DEADLINE_MS) {
    if (spawnError) {
      live.delete(child);
      const code = (spawnError as NodeJS.ErrnoException).code;
      throw new StartFailure(
        code === 'ENOENT' ? MOTO_INSTALL_HINT : `could not spawn moto_server: ${spawnError.message}`,
        false,
      );
    }
    if (hasExited(child)) {
      const tail = readTail(logFile);
      throw new StartFailure(
        `moto_server exited before answering (exit code ${child.exitCode}, signal ${child.signalCode}) on ${HOST}:${port}.\n--- moto_server output (tail) ---\n${tail}`,
        /address already in use/i.test(tail),
      );
    }
    try {
      const res = await request('GET', probeUrl, 1_000);
      if (res.status === 200) return { child, port, logFile };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }

  child.kill('SIGKILL');
  await waitForExit(child, STOP_GRACE_MS);
  throw new StartFailure(
    `moto_server did not answer GET ${probeUrl} within ${START_DEADLINE_MS} ms.\n--- moto_server output (tail) ---\n${readTail(logFile)}`,
    false,
  );
}

export interface MotoServerOptions {
  /** Folders put first on the server's PYTHONPATH (e.g. one holding a sitecustomize.py that moto imports first). */
  pythonPath?: string[];
}

/** Starts a fresh moto_server on a free loopback port and waits until it answers. */
export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  const executable = onPath('moto_server');
  if (!executable) throw new Error(MOTO_INSTALL_HINT);
  installSafetyNet();

  const logDir = mkdtempSync(path.join(os.tmpdir(), 'moto-server-'));
  let started: { child: ChildProcess; port: number; logFile: string } | undefined;
  // The port can be taken between findFreePort() closing it and moto binding it: retry then.
  for (let attempt = 1; !started; attempt++) {
    try {
      started = await startOnce(executable, logDir, attempt, options);
    } catch (err) {
      if (err instanceof StartFailure && err.portTaken && attempt < 3) continue;
      throw err instanceof StartFailure ? new Error(`${err.message}\n(server logs kept in ${logDir})`) : err;
    }
  }

  const { child, port, logFile } = started;
  liveLogDirs.add(logDir);
  const endpoint = `http://${HOST}:${port}`;
  let stopping: Promise<void> | undefined;

  return {
    endpoint,
    port,
    async reset(): Promise<void> {
      let res: HttpResult;
      try {
        res = await request('POST', `${endpoint}/moto-api/reset`, 10_000);
      } catch (err) {
        const state = hasExited(child)
          ? `moto_server has exited (code ${child.exitCode}, signal ${child.signalCode})`
          : 'moto_server is still running';
        throw new Error(
          `moto reset failed: ${(err as Error).message}; ${state}.\n--- moto_server output (tail) ---\n${readTail(logFile)}`,
          { cause: err },
        );
      }
      if (res.status !== 200) throw new Error(`moto reset failed: HTTP ${res.status} ${res.body}`);
    },
    stop(): Promise<void> {
      stopping ??= (async () => {
        if (!hasExited(child)) {
          child.kill('SIGTERM');
          if (!(await waitForExit(child, STOP_GRACE_MS))) {
            child.kill('SIGKILL');
            await waitForExit(child, STOP_GRACE_MS);
          }
        }
        live.delete(child);
        liveLogDirs.delete(logDir);
        rmSync(logDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
