import { useEffect, useState } from 'react';
import { useResilientWebSocket } from 'resilient-websocket/react';

// The echo server to talk to: ?url=ws://host:port/ on this page's address.
const url = new URLSearchParams(location.search).get('url') || 'wss://echo.websocket.org/';

function Chat() {
  const { socket, connectionState, readyState, lastMessage, send } = useResilientWebSocket(url);
  const [messages, setMessages] = useState([]);
  const [text, setText] = useState('hello');

  // Every message, in a list (`lastMessage` from the hook holds only the latest one). `socket` is
  // null until the hook's effect has created it.
  useEffect(() => {
    if (!socket) return undefined;
    const onMessage = (event) => setMessages((list) => [...list, event.data]);
    socket.addEventListener('message', onMessage);
    return () => socket.removeEventListener('message', onMessage);
  }, [socket]);

  return (
    <section>
      <p>
        State: <output id="state">{connectionState}</output> (readyState {readyState})
      </p>
      <p>
        Last message: <output id="last">{lastMessage?.data}</output>
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          // Sent at once while open, queued while reconnecting and replayed once open again.
          send(text);
        }}
      >
        <input id="text" value={text} onChange={(event) => setText(event.target.value)} autoComplete="off" />{' '}
        <button id="send">Send</button>
      </form>
      <ul id="messages">
        {messages.map((message, i) => (
          <li key={i}>{message}</li>
        ))}
      </ul>
    </section>
  );
}

export function App() {
  // Hiding the chat unmounts it, which closes its socket; showing it again opens a new one.
  const [shown, setShown] = useState(true);
  return (
    <main>
      <h1>resilient-websocket with React</h1>
      <button id="toggle" onClick={() => setShown(!shown)}>
        {shown ? 'Hide the chat' : 'Show the chat'}
      </button>
      {shown && <Chat />}
    </main>
  );
}
