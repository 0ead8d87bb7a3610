'use strict';
// fitflow SSE relay: LISTENs on fitflow's notification channels and forwards each payload to
// browsers as server-sent events, filtered per athlete.
//
//   GET /                       the demo page (index.html)
//   GET /events[?athlete_id=N]  text/event-stream; events "challenge", "live" and "resync"
//   GET /healthz                {"db": "listening" | "connecting", "clients": n}; 503 while connecting
//
// Environment: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD (the usual libpq names), PORT,
// HEARTBEAT_MS (default 15000), REPLAY_SIZE (default 1000), MAX_CLIENTS (default 1000).

const fs = require('fs');
const http = require('http');
const path = require('path');
const { Client } = require('pg');

function intFromEnv(name, fallback, min) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    console.error(`invalid ${name} "${raw}": expected an integer >= ${min}`);
    process.exit(2);
  }
  return n;
}

const PORT = intFromEnv('PORT', 8089, 0);
const HEARTBEAT_MS = intFromEnv('HEARTBEAT_MS', 15000, 100);
const REPLAY_SIZE = intFromEnv('REPLAY_SIZE', 1000, 0);
const MAX_CLIENTS = intFromEnv('MAX_CLIENTS', 1000, 1);
const MAX_CLIENT_BUFFER = 1 << 20; // bytes queued for one slow client before it is dropped
const PING_MS = 30000; // health query on the LISTEN connection (detects half-open TCP)
const PING_TIMEOUT_MS = 10000;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 30000;

const DB = {
  host: process.env.PGHOST || '127.0.0.1',
  port: intFromEnv('PGPORT', 5499, 1),
  user: process.env.PGUSER || 'postgres',
  database: process.env.PGDATABASE || 'fitflow_demo',
  password: process.env.PGPASSWORD, // undefined is fine with trust auth
  application_name: 'fitflow-sse-relay',
  keepAlive: true,
  connectionTimeoutMillis: 5000,
};

// NOTIFY channel -> SSE event name
const CHANNELS = { fitflow_challenge: 'challenge', fitflow_live: 'live' };

const INDEX_HTML = fs.readFileSync(path.join(__dirname, 'index.html'));

// Event ids are "<boot>.<seq>": a browser reconnecting to a restarted relay presents an id from
// another boot, which we cannot replay, so it gets a resync event instead of silently missing data.
const BOOT = Date.now().toString(36);
let seq = 0;
const replay = []; // recent frames, oldest first: { seq, athlete (null = everyone), frame }

const clients = new Set(); // { res, athlete (null = all events) }

function log(...args) {
  console.log(new Date().toISOString(), ...args);
}
function warn(...args) {
  console.error(new Date().toISOString(), ...args);
}

// ---------------------------------------------------------------------------------------------
// Fan-out

function frameOf(id, event, data) {
  return `id: ${id}\nevent: ${event}\ndata: ${data}\n\n`;
}

function send(client, chunk) {
  const { res } = client;
  if (res.destroyed || res.writableEnded) {
    clients.delete(client);
    return;
  }
  if (res.writableLength > MAX_CLIENT_BUFFER) {
    warn(`dropping slow client (athlete ${client.athlete ?? 'all'}): ${res.writableLength} bytes queued`);
    clients.delete(client);
    res.destroy();
    return;
  }
  res.write(chunk);
}

// athlete: the athlete the event is about, or null for an event every client must see.
function publish(event, athlete, data) {
  seq += 1;
  const frame = frameOf(`${BOOT}.${seq}`, event, data);
  if (REPLAY_SIZE > 0) {
    replay.push({ seq, athlete, frame });
    if (replay.length > REPLAY_SIZE) replay.shift();
  }
  for (const client of clients) {
    if (athlete === null || client.athlete === null || client.athlete === athlete) send(client, frame);
  }
}

function resync(reason) {
  publish('resync', null, JSON.stringify({ reason }));
}

// ---------------------------------------------------------------------------------------------
// Notifications

function snippet(s) {
  const text = String(s);
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);
}

function onNotification(msg) {
  try {
    const event = CHANNELS[msg.channel];
    if (!event) return;
    let payload;
    try {
      payload = JSON.parse(msg.payload);
    } catch (err) {
      warn(`skipping ${msg.channel} notification: invalid JSON (${err.message}): ${snippet(msg.payload)}`);
      return;
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      warn(`skipping ${msg.channel} notification: payload is not a JSON object: ${snippet(msg.payload)}`);
      return;
    }
    if (!Number.isSafeInteger(payload.athlete_id)) {
      warn(`skipping ${msg.channel} notification: missing or invalid "athlete_id": ${snippet(msg.payload)}`);
      return;
    }
    // Forward the payload text unchanged; only a payload spanning lines must be re-serialised,
    // because a newline would end the SSE data field.
    const data = /[\r\n]/.test(msg.payload) ? JSON.stringify(payload) : msg.payload;
    publish(event, payload.athlete_id, data);
  } catch (err) {
    warn('error relaying notification:', err);
  }
}

// ---------------------------------------------------------------------------------------------
// The LISTEN connection, reconnected with capped exponential backoff and jitter

let db = null; // the connected, LISTENing client
let attempt = 0;
let everListened = false;
let reconnectTimer = null;
let stopping = false;

function scheduleReconnect() {
  if (stopping || reconnectTimer) return;
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  const delay = Math.round(base / 2 + Math.random() * (base / 2));
  attempt += 1;
  log(`reconnecting to PostgreSQL in ${delay} ms (attempt ${attempt})`);
  reconnectTimer = setTimeout(() => {
    reconnectTimer = null;
    connect();
  }, delay);
}

function drop(c, why) {
  if (c.dropped) return;
  c.dropped = true;
  if (db === c) {
    db = null;
    warn(`lost PostgreSQL connection: ${why}`);
  }
  c.removeAllListeners('notification');
  c.on('error', () => {}); // late errors from a connection we have given up on
  c.end().catch(() => {});
  scheduleReconnect();
}

async function connect() {
  const c = new Client(DB);
  c.on('notification', onNotification);
  c.on('error', (err) => drop(c, err.message));
  c.on('end', () => drop(c, 'connection ended'));
  try {
    await c.connect();
    await c.query('LISTEN fitflow_challenge; LISTEN fitflow_live');
  } catch (err) {
    warn(`could not listen on ${DB.host}:${DB.port}/${DB.database}: ${err.message}`);
    drop(c, err.message);
    return;
  }
  if (c.dropped || stopping) return;
  db = c;
  const recovered = everListened || attempt > 0;
  attempt = 0;
  everListened = true;
  log(`listening for fitflow_challenge, fitflow_live on ${DB.host}:${DB.port}/${DB.database}`);
  // Notifications sent while we were away are lost for good (NOTIFY is not queued for absent
  // listeners): tell the browsers, so they can reload state from fitflow.challenge_results.
  if (recovered) resync('database connection restored; notifications may have been missed');
}

const pingTimer = setInterval(() => {
  const c = db;
  if (!c) return;
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`health query timed out after ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
  });
  Promise.race([c.query('SELECT 1'), timeout])
    .catch((err) => drop(c, err.message))
    .finally(() => clearTimeout(timer));
}, PING_MS);

// ---------------------------------------------------------------------------------------------
// HTTP

const heartbeatTimer = setInterval(() => {
  for (const client of clients) send(client, ': heartbeat\n\n');
}, HEARTBEAT_MS);

function parseAthlete(raw) {
  if (raw === null) return { ok: true, athlete: null };
  if (!/^[0-9]{1,16}$/.test(raw)) return { ok: false };
  const n = Number(raw);
  return Number.isSafeInteger(n) ? { ok: true, athlete: n } : { ok: false };
}

function openStream(req, res, url) {
  const parsed = parseAthlete(url.searchParams.get('athlete_id'));
  if (!parsed.ok) {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('invalid athlete_id: expected a non-negative integer\n');
    return;
  }
  if (clients.size >= MAX_CLIENTS) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '10' });
    res.end('too many clients\n');
    return;
  }
  req.socket.setNoDelay(true);
  req.socket.setTimeout(0);
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no', // nginx: do not buffer the stream
  });
  const client = { res, athlete: parsed.athlete };
  let head = 'retry: 3000\n: connected\n\n';

  // A browser that reconnects sends the id of the last event it saw: replay what it missed.
  const last = req.headers['last-event-id'] || url.searchParams.get('last_event_id');
  if (last) {
    const m = /^([0-9a-z]+)\.([0-9]+)$/.exec(last);
    const lastSeq = m ? Number(m[2]) : NaN;
    const oldest = replay.length ? replay[0].seq : seq + 1;
    if (m && m[1] === BOOT && lastSeq <= seq && lastSeq >= oldest - 1) {
      for (const e of replay) {
        if (e.seq > lastSeq && (e.athlete === null || client.athlete === null || e.athlete === client.athlete)) {
          head += e.frame;
        }
      }
    } else {
      seq += 1; // an id of its own so the browser's Last-Event-ID moves on
      head += frameOf(`${BOOT}.${seq}`, 'resync', JSON.stringify({ reason: 'missed events are no longer available' }));
    }
  }
  res.write(head);
  clients.add(client);
  const cleanup = () => clients.delete(client);
  req.on('close', cleanup);
  res.on('close', cleanup);
  res.on('error', cleanup);
}

const server = http.createServer((req, res) => {
  let url;
  try {
    url = new URL(req.url, 'http://localhost');
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  switch (url.pathname) {
    case '/':
    case '/index.html':
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : INDEX_HTML);
      return;
    case '/events':
      openStream(req, res, url);
      return;
    case '/healthz':
      res.writeHead(db ? 200 : 503, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ db: db ? 'listening' : 'connecting', clients: clients.size }));
      return;
    default:
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
  }
});

server.on('error', (err) => {
  warn(`could not serve on 127.0.0.1:${PORT}: ${err.message}`);
  process.exit(1);
});

server.listen(PORT, '127.0.0.1', () => {
  log(`relay listening on http://127.0.0.1:${server.address().port}`);
  connect();
});

function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: shutting down`);
  clearInterval(heartbeatTimer);
  clearInterval(pingTimer);
  clearTimeout(reconnectTimer);
  for (const client of clients) client.res.end();
  clients.clear();
  server.close();
  const c = db;
  db = null;
  (c ? c.end() : Promise.resolve()).catch(() => {}).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
