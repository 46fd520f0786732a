// Typed use of every entry, as an app written in TypeScript would use them. types.test.js checks it
// with `tsc --noEmit` against the typings in the packed tarball: it must compile without an error.
import ResilientWebSocketDefault, {
  DropEvent,
  ResilientWebSocket,
  type ConnectionState,
  type DropReason,
  type ResilientWebSocketOptions,
  type WebSocketPayload,
} from 'resilient-websocket';
import { init, ResilientWebSocket as SlimResilientWebSocket } from 'resilient-websocket/slim';
import { ResilientWebSocket as AckedResilientWebSocket } from 'resilient-websocket/acked';
import { init as initAcked, ResilientWebSocket as AckedSlimResilientWebSocket } from 'resilient-websocket/acked/slim';
import { useResilientWebSocket as useReact } from 'resilient-websocket/react';
import { useResilientWebSocket as useVue } from 'resilient-websocket/vue';
import { useResilientWebSocket as useAckedReact } from 'resilient-websocket/acked/react';
import { useResilientWebSocket as useAckedVue } from 'resilient-websocket/acked/vue';
import { ref, type Ref, type ShallowRef } from 'vue';

// Every option of the README's table, with a value of each accepted kind.
const options: ResilientWebSocketOptions = {
  reconnect: {
    minDelay: 1000,
    maxDelay: 30000,
    factor: 1.6,
    jitter: 'decorrelated',
    maxRetries: Infinity,
    connectTimeout: 10000,
    minUptime: 5000,
    shouldReconnect: (event) => (event.code === 4001 ? false : { delay: event.code }),
  },
  heartbeat: { interval: 25000, timeout: 10000, message: () => new Uint8Array([1]), pong: (data) => data === 'pong', exposePongs: false },
  buffer: { maxMessages: 10000, maxBytes: 16777216, overflow: 'drop-oldest', ttl: Infinity, replay: (data) => typeof data === 'string' },
  network: true,
  pageLifecycle: true,
  startClosed: false,
  WebSocket,
  debug: (event, detail) => console.debug(event, detail.type),
};
const otherKinds: ResilientWebSocketOptions[] = [
  { heartbeat: true, reconnect: { jitter: 0.5 }, buffer: { replay: false, overflow: 'throw' }, debug: true },
  { heartbeat: { message: 'ping', pong: 'pong' }, reconnect: { jitter: 'none', shouldReconnect: () => true } },
  {},
];

const ws = new ResilientWebSocket('wss://example.com/feed', ['chat'], options);
new ResilientWebSocket(new URL('wss://example.com/'));
new ResilientWebSocket(async ({ attempt, lastClose }) => `wss://example.com/?attempt=${attempt}&code=${lastClose?.code}`, () => ['v2']);
new ResilientWebSocketDefault('wss://example.com/', undefined, otherKinds[0]);

// The event map: each event type gives its own event class to the listener.
ws.addEventListener('drop', (e) => {
  const reason: DropReason = e.reason;
  const data: WebSocketPayload = e.data;
  console.log(reason, data, e instanceof DropEvent);
});
ws.addEventListener('statechange', (e) => {
  const to: ConnectionState = e.to;
  console.log(e.from, to);
});
ws.addEventListener('reconnecting', (e) => console.log(e.attempt + e.delay));
// Acknowledged delivery, from the acked build; the slim form of it too.
const acked = new AckedResilientWebSocket('wss://example.com/live', [], { delivery: 'acked', ackInterval: 50 });
void initAcked('/assets/resilient_websocket_bg.wasm').then(() => new AckedSlimResilientWebSocket('wss://example.com/live'));
acked.addEventListener('sessionlost', (e) => console.log(e.unconfirmed.toFixed(0)));
console.log(acked.stats.unacked + acked.stats.unackedBytes + acked.stats.resent);
ws.addEventListener('heartbeat', (e) => console.log(e.rtt.toFixed(1)));
ws.addEventListener('close', (e) => console.log(e.code, e.reason, e.wasClean));
ws.addEventListener('message', (e) => console.log(e.data, e.origin));
ws.addEventListener('giveup', (e) => console.log(e.type));
ws.addEventListener('custom-event', (e: Event) => console.log(e.type));
ws.onmessage = (e) => console.log(e.data);
ws.onclose = (e) => console.log(e.code);
ws.onopen = null;

// The rest of the surface.
const state: ConnectionState = ws.connectionState;
const ready: 0 | 1 | 2 | 3 = ws.readyState;
const open: boolean = ws.readyState === ResilientWebSocket.OPEN;
const closed: 3 = ws.CLOSED;
ws.binaryType = 'arraybuffer';
ws.send('text');
ws.send(new Uint8Array([1, 2]));
ws.send(new Blob(['x']));
ws.reconnect(4000, 'refresh');
ws.close(1000);
const { attempts, lastRtt, queuedBytes } = ws.stats;
console.log(state, ready, open, closed, attempts, lastRtt ?? 0, queuedBytes, ws.url, ws.bufferedAmount, ws.protocol, ws.extensions);

// The slim entry.
const ready$: Promise<void> = init();
init(new URL('https://cdn.example/resilient_websocket_bg.wasm'));
ready$.then(() => new SlimResilientWebSocket('wss://example.com/'));

// The React hook.
function ReactComponent() {
  const { socket, readyState, connectionState, lastMessage, send } = useReact('wss://example.com/', {
    protocols: ['chat'],
    heartbeat: true,
  });
  const maybeSocket: ResilientWebSocket | null = socket;
  const message: MessageEvent | null = lastMessage;
  send('hello');
  return [maybeSocket, readyState, connectionState, message];
}

// The Vue composable, with a ref for the URL.
function vueSetup() {
  const url = ref('wss://example.com/');
  const { socket, readyState, connectionState, lastMessage, send } = useVue(url, { reconnect: { maxRetries: 5 } });
  useVue(() => `${url.value}?room=1`);
  const s: ShallowRef<ResilientWebSocket | null> = socket;
  const r: Ref<0 | 1 | 2 | 3> = readyState;
  const c: Ref<ConnectionState> = connectionState;
  const m: MessageEvent | null = lastMessage.value;
  send(new ArrayBuffer(1));
  return { s, r, c, m };
}

// The bindings with the acked build: the same hook and composable, acked delivery accepted.
function ackedBindings() {
  const fromReact: ResilientWebSocket | null = useAckedReact('wss://example.com/', { delivery: 'acked' }).socket;
  const fromVue: ShallowRef<ResilientWebSocket | null> = useAckedVue('wss://example.com/', { delivery: 'acked' }).socket;
  return [fromReact, fromVue];
}

export { ReactComponent, vueSetup, ackedBindings };
