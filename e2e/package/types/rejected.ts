// Wrong uses the typings must reject: every line under a `@ts-expect-error` must be an error, or
// tsc reports the directive as unused and types.test.js fails.
import { ResilientWebSocket, type ResilientWebSocketOptions } from 'resilient-websocket';
import { useResilientWebSocket as useReact } from 'resilient-websocket/react';
import { useResilientWebSocket as useVue } from 'resilient-websocket/vue';

const wrong: ResilientWebSocketOptions[] = [
  // @ts-expect-error delivery is 'plain' or 'acked'
  { delivery: 'exactly-once' },
  // @ts-expect-error ackInterval is a number of ms
  { ackInterval: '100' },
  // @ts-expect-error minDelay is a number of ms
  { reconnect: { minDelay: '1000' } },
  // @ts-expect-error maxDelay is a number of ms
  { reconnect: { maxDelay: null } },
  // @ts-expect-error factor is a number
  { reconnect: { factor: '1.6' } },
  // @ts-expect-error jitter is a known name or a number
  { reconnect: { jitter: 'random' } },
  // @ts-expect-error maxRetries is a number
  { reconnect: { maxRetries: true } },
  // @ts-expect-error connectTimeout is a number of ms
  { reconnect: { connectTimeout: '10s' } },
  // @ts-expect-error minUptime is a number of ms
  { reconnect: { minUptime: [] } },
  // @ts-expect-error shouldReconnect returns a boolean or { delay }
  { reconnect: { shouldReconnect: () => 'yes' } },
  // @ts-expect-error shouldReconnect's delay is a number
  { reconnect: { shouldReconnect: () => ({ delay: 'soon' }) } },
  // @ts-expect-error heartbeat is a boolean or an object
  { heartbeat: 'on' },
  // @ts-expect-error heartbeat.interval is a number of ms
  { heartbeat: { interval: '25s' } },
  // @ts-expect-error heartbeat.timeout is a number of ms
  { heartbeat: { timeout: false } },
  // @ts-expect-error heartbeat.message is data or a function giving data
  { heartbeat: { message: 42 } },
  // @ts-expect-error heartbeat.pong is a string or a predicate
  { heartbeat: { pong: /pong/ } },
  // @ts-expect-error heartbeat.exposePongs is a boolean
  { heartbeat: { exposePongs: 'yes' } },
  // @ts-expect-error buffer.maxMessages is a number
  { buffer: { maxMessages: '10' } },
  // @ts-expect-error buffer.maxBytes is a number
  { buffer: { maxBytes: 10n } },
  // @ts-expect-error buffer.overflow is 'throw', 'drop-oldest' or 'drop-newest'
  { buffer: { overflow: 'drop' } },
  // @ts-expect-error buffer.ttl is a number of ms
  { buffer: { ttl: '1h' } },
  // @ts-expect-error buffer.replay is a boolean or a filter
  { buffer: { replay: 'all' } },
  // @ts-expect-error network is a boolean
  { network: 'auto' },
  // @ts-expect-error pageLifecycle is a boolean
  { pageLifecycle: 1 },
  // @ts-expect-error startClosed is a boolean
  { startClosed: 'no' },
  // @ts-expect-error WebSocket is a constructor
  { WebSocket: 'ws' },
  // @ts-expect-error debug is a boolean or a logger
  { debug: 'verbose' },
  // @ts-expect-error there is no such option
  { retries: 3 },
];

const ws = new ResilientWebSocket('wss://example.com/');
// @ts-expect-error a drop event's reason is one of the DropReason names, not a number
ws.addEventListener('drop', (e) => e.reason.toFixed());
// @ts-expect-error a statechange event has no reason
ws.addEventListener('statechange', (e) => e.reason);
// @ts-expect-error onmessage receives a MessageEvent, which has no code
ws.onmessage = (e) => e.code;
// @ts-expect-error connectionState is read-only
ws.connectionState = 'open';
// @ts-expect-error send takes a string or binary data
ws.send({ json: true });
// @ts-expect-error the URL is a string, a URL or a provider
new ResilientWebSocket(42);
// @ts-expect-error the hook's options are the constructor's (plus protocols)
useReact('wss://example.com/', { heartbeat: 'on' });
// @ts-expect-error the composable's URL is a string, a URL, a ref or a getter
useVue(42);

export { wrong };
