// Live chat demo: laravel-echo over pusher-js against the Django realtime server.
(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('livechat-config').textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const secure = window.location.protocol === 'https:';
  const port = Number(window.location.port) || (secure ? 443 : 80);

  window.Pusher = Pusher;
  const echo = new Echo.default({
    broadcaster: 'reverb',
    key: config.key,
    wsHost: window.location.hostname,
    wsPort: port,
    wssPort: port,
    forceTLS: secure,
    enabledTransports: ['ws', 'wss'],
    authEndpoint: '/broadcasting/auth',
    auth: { headers: { 'X-CSRFToken': csrf } },
  });

  const messages = document.getElementById('messages');
  const online = document.getElementById('online');
  const typing = document.getElementById('typing');
  const status = document.getElementById('status');
  const input = document.getElementById('message-input');
  const members = new Map();
  let typingTimer = null;

  echo.connector.pusher.connection.bind('state_change', (s) => { status.textContent = s.current; });

  function renderOnline() {
    online.innerHTML = '';
    [...members.values()].sort().forEach((name) => {
      const li = document.createElement('li');
      li.textContent = name;
      li.dataset.user = name;
      online.appendChild(li);
    });
  }

  function addMessage(user, text) {
    const li = document.createElement('li');
    const who = document.createElement('b');
    who.textContent = user;
    li.appendChild(who);
    li.appendChild(document.createTextNode(text));
    li.className = 'message';
    messages.appendChild(li);
  }

  const channel = echo.join(`chat.${config.room}`)
    .here((users) => { members.clear(); users.forEach((u) => members.set(u.name, u.name)); renderOnline(); })
    .joining((user) => { members.set(user.name, user.name); renderOnline(); })
    .leaving((user) => { members.delete(user.name); renderOnline(); })
    .listen('.message', (e) => { addMessage(e.user, e.text); typing.textContent = ''; })
    .listenForWhisper('typing', (e) => {
      typing.textContent = `${e.name} is typing…`;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { typing.textContent = ''; }, 2500);
    });

  input.addEventListener('input', () => channel.whisper('typing', { name: config.me }));

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf, 'X-Socket-ID': echo.socketId() || '' },
      body: JSON.stringify(body || {}),
      credentials: 'same-origin',
    });
  }

  document.getElementById('message-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    const response = await post(config.sendUrl, { text });
    if (response.ok) {
      const message = await response.json();
      addMessage(message.user, message.text);
    }
  });
  document.getElementById('bot').addEventListener('click', () => post(config.botUrl));
})();
