// Server-side rendering with every entry, in Node. ssr.test.js copies this file into a temporary
// project where the packed package, React and Vue are installed, runs it, and asserts on the JSON it
// prints. A socket opened during a render would show in `socketsOpened`: the global WebSocket here
// is a stand-in that only counts.
let socketsOpened = 0;
globalThis.WebSocket = class CountingWebSocket extends EventTarget {
  constructor() {
    super();
    socketsOpened += 1;
  }
};

const outcome = async (fn) => {
  try {
    return { ok: await fn() };
  } catch (error) {
    return { error: `${error.name}: ${error.message}` };
  }
};

const result = {};
const mode = process.argv[2];

if (mode === 'no-wasm') {
  // Run with `node --jitless`, which has no WebAssembly (as some locked-down browsers and edge
  // runtimes): the import still succeeds; constructing says why it cannot work.
  const { ResilientWebSocket } = await import('resilient-websocket');
  result.construct = await outcome(() => new ResilientWebSocket('ws://127.0.0.1:9/'));
} else if (mode === 'slim-first') {
  // A process that imports only the slim entry: the class is there, the wasm is not, yet.
  const slim = await import('resilient-websocket/slim');
  result.constructBeforeInit = await outcome(() => new slim.ResilientWebSocket('ws://127.0.0.1:9/'));
} else {
  for (const entry of ['resilient-websocket', 'resilient-websocket/slim', 'resilient-websocket/share', 'resilient-websocket/react', 'resilient-websocket/vue', 'resilient-websocket/iife', 'resilient-websocket/server']) {
    result[`import ${entry}`] = await outcome(async () => Object.keys(await import(entry)).sort().join(' '));
  }

  const React = await import('react');
  const { renderToString } = await import('react-dom/server');
  const { useResilientWebSocket } = await import('resilient-websocket/react');
  function Status() {
    const { socket, readyState, connectionState, lastMessage } = useResilientWebSocket('ws://127.0.0.1:9/');
    return React.createElement('p', null, `${readyState} ${connectionState} socket=${socket} lastMessage=${lastMessage}`);
  }
  result.react = await outcome(() => renderToString(React.createElement(Status)));

  const { createSSRApp, h } = await import('vue');
  const { renderToString: renderVue } = await import('vue/server-renderer');
  const vue = await import('resilient-websocket/vue');
  const app = createSSRApp({
    setup() {
      const { socket, readyState, connectionState, lastMessage } = vue.useResilientWebSocket('ws://127.0.0.1:9/');
      return () => h('p', `${readyState.value} ${connectionState.value} socket=${socket.value} lastMessage=${lastMessage.value}`);
    },
  });
  result.vue = await outcome(() => renderVue(app));
  result.socketsOpened = socketsOpened;

  // Constructing outside a browser: with no WebSocket at all, a clear TypeError.
  delete globalThis.WebSocket;
  const { ResilientWebSocket } = await import('resilient-websocket');
  result.constructWithoutWebSocket = await outcome(() => new ResilientWebSocket('ws://127.0.0.1:9/'));
}

console.log(JSON.stringify(result));
