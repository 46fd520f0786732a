//! A chat on resilient-websocket's Rust face, in Leptos (client-side rendering): it shows the
//! connection state and how many reconnections were scheduled, sends each message as typed JSON
//! and renders the typed replies of an echo server. Hiding the chat drops its handle, which
//! closes the socket; showing it again opens a new one.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use resilient_websocket::client::Config;
use resilient_websocket::{Event, ResilientWebSocket};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use web_sys::UrlSearchParams;

/// What the chat sends and expects back, as JSON: `{"user":"…","text":"…"}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ChatMessage {
    user: String,
    text: String,
}

/// The server to talk to: `?url=ws://host:port/` on the page's address.
fn server_url() -> String {
    let search = window().location().search().unwrap_or_default();
    UrlSearchParams::new_with_str(&search)
        .ok()
        .and_then(|params| params.get("url"))
        .unwrap_or_else(|| "wss://echo.websocket.org/".into())
}

#[component]
fn Chat(url: String) -> impl IntoView {
    let (state, set_state) = signal(String::from("connecting"));
    let (reconnects, set_reconnects) = signal(0u32);
    let (messages, set_messages) = signal(Vec::<ChatMessage>::new());
    let (problem, set_problem) = signal(String::new());
    let (text, set_text) = signal(String::from("hello"));

    // The default Config: reconnection with backoff and jitter, forever.
    let socket = match ResilientWebSocket::builder(&url)
        .config(Config::default())
        .connect()
    {
        Ok(socket) => {
            socket.on(move |event| match event {
                Event::StateChange { to, .. } => set_state.set(to.as_str().into()),
                Event::Reconnecting { .. } => set_reconnects.update(|count| *count += 1),
                Event::Message(message) => match message.json::<ChatMessage>() {
                    Ok(chat) => set_messages.update(|list| list.push(chat)),
                    Err(error) => set_problem.set(format!("not a chat message: {error}")),
                },
                _ => {}
            });
            Some(socket)
        }
        Err(error) => {
            set_problem.set(error.to_string());
            None
        }
    };
    // Owned by this component: dropped (and so closed) when the component goes.
    let socket = StoredValue::new_local(socket);

    let send = move |event: SubmitEvent| {
        event.prevent_default();
        let chat = ChatMessage {
            user: "leptos".into(),
            text: text.get_untracked(),
        };
        // Sent at once while open, queued while reconnecting and replayed once open again.
        socket.with_value(|socket| {
            if let Some(Err(error)) = socket.as_ref().map(|socket| socket.send_json(&chat)) {
                set_problem.set(error.to_string());
            }
        });
    };

    view! {
        <section>
            <p>"State: " <output id="state">{move || state.get()}</output></p>
            <p>"Reconnections scheduled: " <output id="reconnects">{move || reconnects.get()}</output></p>
            <p id="problem">{move || problem.get()}</p>
            <form on:submit=send>
                <input
                    id="text"
                    autocomplete="off"
                    prop:value=move || text.get()
                    on:input=move |event| set_text.set(event_target_value(&event))
                />
                " "
                <button id="send">"Send"</button>
            </form>
            <ul id="messages">
                {move || {
                    messages
                        .get()
                        .into_iter()
                        .map(|chat| view! { <li>{format!("{}: {}", chat.user, chat.text)}</li> })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}

#[component]
fn App() -> impl IntoView {
    let url = server_url();
    let (shown, set_shown) = signal(true);
    view! {
        <main>
            <h1>"resilient-websocket with Leptos"</h1>
            <button id="toggle" on:click=move |_| set_shown.update(|shown| *shown = !*shown)>
                {move || if shown.get() { "Hide the chat" } else { "Show the chat" }}
            </button>
            <Show when=move || shown.get()>
                <Chat url=url.clone() />
            </Show>
        </main>
    }
}

/// Runs when the module is instantiated (index.html's `init()`).
#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(App);
}
