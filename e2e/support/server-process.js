// One server program run by a test as a child process on a fixed loopback port, started again on the
// same port after a stop, as a real server process is restarted: the lifecycle websocketd.js and
// tornado.js share. stop() kills it (SIGTERM, then SIGKILL after 3 s) as a crash would: no close
// frame, every connection drops.
import { spawn } from 'node:child_process';
import { waitForPort } from './nginx.js';

/**
 * @param {{ port: number, what: string, hint: (exited: any, output: string) => string }} options
 *   `hint` explains a failed start (e.g. the program is missing) from how the process exited and
 *   what it printed.
 */
export function serverProcess({ port, what, hint }) {
  /** @type {import('node:child_process').ChildProcess | null} */
  let child = null;
  let exited = null;
  let output = '';

  /** Sends `signal`, and SIGKILL 3 s later if the process still runs; resolves once it has exited. */
  async function end(signal) {
    if (!child) return;
    const current = child;
    child = null;
    if (exited !== null) return;
    const exit = new Promise((resolve) => current.once('exit', resolve));
    current.kill(signal);
    const timer = setTimeout(() => current.kill('SIGKILL'), 3000);
    await exit;
    clearTimeout(timer);
  }

  return {
    /**
     * Starts `command args` unless it runs already; resolves once it listens on the port.
     * @param {string} command
     * @param {string[]} args
     */
    async start(command, args) {
      if (child) return;
      exited = null;
      output = '';
      const current = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = current;
      current.stdout?.on('data', (chunk) => (output += chunk));
      current.stderr?.on('data', (chunk) => (output += chunk));
      current.once('exit', (code, signal) => {
        exited = { code, signal };
      });
      current.once('error', (error) => {
        exited = { error };
      });
      try {
        await waitForPort(port, { exited: () => exited !== null, what });
      } catch (error) {
        current.kill('SIGKILL');
        child = null;
        throw new Error(`${error.message}${hint(exited, output)}\n${output}`);
      }
    },

    /** SIGKILL, as `kill -9`: resolves once the process has exited. */
    kill: () => end('SIGKILL'),

    /** Resolves once the process has exited, so that a start() after it is a new process. */
    stop: () => end('SIGTERM'),
  };
}
