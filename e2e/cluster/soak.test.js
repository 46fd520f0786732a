// The cluster soak in the test command (issue 15): 60 s of e2e/cluster/soak-run.js in the run's
// engine: four acked clients through nginx to three AckedServer nodes on Redis, numbered streams
// both ways, while a node is killed with SIGKILL and started again, a node's connections are cut, a
// node restarts gracefully, Redis restarts from its AOF, and a node goes silent. `node e2e/soak.js
// --cluster --minutes N` is the long version.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useBrowser } from '../support/fixtures.js';
import { clusterSoakPassed, formatClusterSoak, runClusterSoak } from './soak-run.js';

const shared = useBrowser({ staticServer: true });

test('cluster soak, 60 s: nothing lost, duplicated or out of order both ways across node and Redis faults', { timeout: 180_000 }, async (t) => {
  const result = await runClusterSoak({ browser: shared.browser, httpUrl: shared.http.url, seconds: 60, log: (line) => t.diagnostic(line) });
  for (const line of formatClusterSoak(result)) t.diagnostic(line);
  for (const kind of ['kill', 'cut', 'restart', 'redis', 'silent']) assert.ok(result.faults[kind] >= 1, `the ${kind} fault struck`);
  const sum = (f) => result.rows.reduce((acc, r) => acc + f(r), 0);
  assert.ok(sum((r) => r.up.sent) > 1000 && sum((r) => r.down.sent) > 1000, 'both streams ran');
  assert.deepEqual(result.rows.map((r) => [r.name, r.up.duplicated, r.up.outOfOrder, r.up.lost]), result.rows.map((r) => [r.name, 0, 0, 0]),
    'client → server, as the application applied it (deduplicating on the delivery id of what is flagged redelivered): exactly once, in order');
  assert.deepEqual(result.rows.map((r) => [r.name, r.given.unflagged, r.given.examples]), result.rows.map((r) => [r.name, 0, []]),
    'every delivery id handed to the application again carried the redelivered flag');
  assert.deepEqual(result.rows.map((r) => [r.name, r.down.duplicated, r.down.outOfOrder, r.down.lost]), result.rows.map((r) => [r.name, 0, 0, 0]),
    'server → client: exactly once, in order');
  assert.deepEqual(result.rows.map((r) => [r.name, r.drops, r.sessionsLost, r.repeatedOwners, r.failedSends]), result.rows.map((r) => [r.name, 0, 0, 0, 0]),
    'no drop, no session lost, no connection delivering after a newer one, no send refused');
  assert.deepEqual(result.recoveryFailures, [], 'every client open again after every fault');
  assert.deepEqual(result.violations, [], 'no protocol violation');
  assert.deepEqual(result.pageErrors, [], 'a clean page');
  assert.equal(clusterSoakPassed(result), true);
});
