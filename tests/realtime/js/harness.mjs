// Drives real pusher-js / laravel-echo clients for the Python tests.
// Reads one JSON command per line on stdin, writes one JSON report per line on stdout.
import crypto from 'node:crypto';
import readline from 'node:readline';
import Pusher from 'pusher-js';
import Echo from 'laravel-echo';

// A browser sends its cookies with the auth request; Node's XMLHttpRequest refuses to set a
// Cookie header unless its header check is off. Tests that authorize with a session use it.
const createXHR = Pusher.Runtime.createXHR.bind(Pusher.Runtime);
Pusher.Runtime.createXHR = () => {
  const xhr = createXHR();
  if (xhr.setDisableHeaderCheck) xhr.setDisableHeaderCheck(true);
  return xhr;
};

const clients = {};
const echos = {};

function emit(report) {
  process.stdout.write(JSON.stringify(report) + '\n');
}

function localSigner(sign) {
  // Signs like a server would; used where a test is not about the auth endpoint.
  return (params, callback) => {
    const parts = [params.socketId, params.channelName];
    const result = {};
    if (params.channelName.startsWith('presence-')) {
      result.channel_data = JSON.stringify({ user_id: sign.user_id, user_info: sign.user_info || {} });
      parts.push(result.channel_data);
    }
    const secret = sign.bad ? 'not-the-secret' : sign.secret;
    const digest = crypto.createHmac('sha256', secret).update(parts.join(':')).digest('hex');
    result.auth = `${sign.key}:${digest}`;
    callback(null, result);
  };
}

function options(cmd) {
  const opts = Object.assign(
    { cluster: 'mt1', forceTLS: false, enabledTransports: ['ws'], disableStats: true },
    cmd.options || {},
  );
  if (cmd.sign) {
    opts.channelAuthorization = { customHandler: localSigner(cmd.sign) };
  }
  return opts;
}

function channelEvents(id, channel) {
  channel.bind_global((event, data) => {
    let payload = data;
    if (event === 'pusher:subscription_succeeded' && channel.members) {
      payload = { members: channel.members.members, count: channel.members.count, me: channel.members.me };
    }
    emit({ type: 'event', id, channel: channel.name, event, data: payload });
  });
}

function handle(cmd) {
  const { id } = cmd;
  switch (cmd.cmd) {
    case 'connect': {
      const pusher = new Pusher(cmd.key, options(cmd));
      clients[id] = pusher;
      pusher.connection.bind('state_change', (s) => emit({ type: 'state', id, state: s.current }));
      pusher.connection.bind('connected', () =>
        emit({ type: 'connected', id, socket_id: pusher.connection.socket_id }));
      pusher.connection.bind('error', (err) =>
        emit({ type: 'error', id, error: err && err.data ? err.data : String(err && err.type) }));
      pusher.user.bind_global((event, data) => emit({ type: 'user_event', id, event, data }));
      break;
    }
    case 'subscribe':
      channelEvents(id, clients[id].subscribe(cmd.channel));
      break;
    case 'unsubscribe':
      clients[id].unsubscribe(cmd.channel);
      break;
    case 'trigger': {
      const ok = clients[id].channel(cmd.channel).trigger(cmd.event, cmd.data);
      emit({ type: 'triggered', id, ok });
      break;
    }
    case 'signin': {
      const pusher = clients[id];
      pusher.signin();
      pusher.user.signinDonePromise.then(() =>
        emit({ type: 'signed_in', id, user: pusher.user.user_data }));
      break;
    }
    case 'disconnect':
      clients[id].disconnect();
      break;
    case 'echo_connect': {
      const echo = new Echo(Object.assign(
        { broadcaster: 'reverb', Pusher, forceTLS: false, enabledTransports: ['ws'], disableStats: true },
        cmd.options || {},
        cmd.sign ? { channelAuthorization: { customHandler: localSigner(cmd.sign) } } : {},
      ));
      echos[id] = echo;
      echo.connector.pusher.connection.bind('connected', () =>
        emit({ type: 'connected', id, socket_id: echo.socketId() }));
      break;
    }
    case 'echo_join':
      echos[id].join(cmd.channel)
        .here((users) => emit({ type: 'here', id, users }))
        .joining((user) => emit({ type: 'joining', id, user }))
        .leaving((user) => emit({ type: 'leaving', id, user }))
        .listen(cmd.listen || '.message', (e) => emit({ type: 'echo_event', id, data: e }))
        .listenForWhisper(cmd.whisper || 'typing', (e) => emit({ type: 'whisper', id, data: e }));
      break;
    case 'echo_encrypted': {
      const channel = echos[id].encryptedPrivate(cmd.channel);
      channel.subscribed(() => emit({ type: 'subscribed', id, channel: cmd.channel }));
      channel.error((err) => emit({ type: 'subscription_error', id, error: err }));
      channel.listen(cmd.listen || '.message', (e) => emit({ type: 'echo_event', id, data: e }));
      break;
    }
    case 'echo_whisper':
      echos[id].join(cmd.channel).whisper(cmd.event, cmd.data);
      break;
    case 'echo_leave':
      echos[id].leave(cmd.channel);
      break;
    case 'exit':
      Object.values(clients).forEach((c) => c.disconnect());
      Object.values(echos).forEach((e) => e.disconnect());
      setTimeout(() => process.exit(0), 50);
      break;
    default:
      emit({ type: 'harness_error', error: `unknown command ${cmd.cmd}` });
  }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  try {
    handle(JSON.parse(line));
  } catch (err) {
    emit({ type: 'harness_error', error: String(err && err.stack ? err.stack : err) });
  }
});
emit({ type: 'ready' });
