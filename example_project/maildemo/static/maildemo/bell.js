// Notification bell: pusher-js on the user's private channel, fed by the broadcast channel.
(function () {
  'use strict';
  const bell = document.getElementById('bell');
  const key = JSON.parse(document.getElementById('realtime-key').textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const secure = window.location.protocol === 'https:';
  const port = Number(window.location.port) || (secure ? 443 : 80);
  const pusher = new Pusher(key, {
    wsHost: window.location.hostname, wsPort: port, wssPort: port, forceTLS: secure,
    enabledTransports: ['ws', 'wss'], cluster: '',
    channelAuthorization: { endpoint: '/broadcasting/auth', headers: { 'X-CSRFToken': csrf } },
  });
  pusher.subscribe(`private-user.${bell.dataset.user}`).bind('notification', (data) => {
    const count = document.getElementById('bell-count');
    count.textContent = String(Number(count.textContent) + 1);
    const li = document.createElement('li');
    li.textContent = data.text;
    document.getElementById('bell-list').prepend(li);
  });
}());
