// Helpers for bench/ship.sh, on 127.0.0.1 only:
//   node bench/ship-tools.js pace URL VISITS_PER_SECOND SECONDS [JOURNAL]
//       GET URL at a steady rate; prints "sent ok". JOURNAL gets "<ms> <visits>" for each 200: when it came back
//       (Unix ms, client side) and the count the page shows, which is the database's total after that visit's commit.
//   node bench/ship-tools.js count LISTEN_PORT TARGET_PORT FILE [CONFIRMED]
//       an HTTP hop to the object store that writes "<method> <count>" lines to FILE every second, and appends
//       "<ms> <key>" to CONFIRMED when the store answers 200 to an object's PUT (the moment the object is visible).
//   node bench/ship-tools.js lag JOURNAL STORED VISITS_BEFORE
//       commit-to-store lag: STORED has "<ms> <visits>" for each object confirmed (the visits a restore from the
//       store then gives), for a run that began with the store holding VISITS_BEFORE. For each visit in JOURNAL, the
//       time from its 200 to the first object that makes it recoverable; prints "p50 p99 max unshipped", in seconds.
'use strict';
const http = require('http');
const fs = require('fs');
const [mode, ...args] = process.argv.slice(2);

if (mode === 'pace') {
  const [url, rate, seconds, journal] = [args[0], Number(args[1]), Number(args[2]), args[3]];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const acknowledged = [];
  let sent = 0, ok = 0;
  const timer = setInterval(() => {
    sent++;
    http.get(url, { agent }, res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', chunk => { if (journal) body += chunk; });
      res.on('end', () => {
        if (res.statusCode !== 200) return;
        ok++;
        const visits = journal && /<dd id="visits">(\d+)</.exec(body);
        if (visits) acknowledged.push(`${Date.now()} ${visits[1]}`);
      });
    }).on('error', () => {});
  }, 1000 / rate);
  setTimeout(() => {
    clearInterval(timer);
    setTimeout(() => {
      if (journal) fs.writeFileSync(journal, acknowledged.join('\n') + '\n');
      console.log(`${sent} ${ok}`);
      agent.destroy();
    }, 1000);
  }, seconds * 1000);
} else if (mode === 'count') {
  const [listen, target, file, confirmed] = [Number(args[0]), Number(args[1]), args[2], args[3]];
  const counts = {};
  http.createServer((req, res) => {
    counts[req.method] = (counts[req.method] || 0) + 1;
    const upstream = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, reply => {
      // A whole object's PUT, or the end of a multipart upload; a part's PUT is not yet an object.
      const object = (req.method === 'PUT' && !/[?&]partNumber=/.test(req.url)) || (req.method === 'POST' && /[?&]uploadId=/.test(req.url));
      if (confirmed && object && reply.statusCode === 200) {
        reply.on('end', () => fs.appendFileSync(confirmed, `${Date.now()} ${decodeURIComponent(req.url.split('?')[0])}\n`));
      }
      res.writeHead(reply.statusCode, reply.headers);
      reply.pipe(res);
    });
    upstream.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(upstream);
  }).listen(listen, '127.0.0.1');
  setInterval(() => fs.writeFileSync(file, Object.entries(counts).map(([m, n]) => `${m} ${n}`).join('\n') + '\n'), 1000);
} else if (mode === 'lag') {
  const [journalFile, storedFile, before] = [args[0], args[1], Number(args[2])];
  const lines = file => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(l => l.split(' ').map(Number));
  const journal = lines(journalFile);
  let most = before, unshipped = 0;
  const recoverable = lines(storedFile).sort((x, y) => x[0] - y[0]).map(([at, visits]) => [at, (most = Math.max(most, visits))]);
  const lags = [];
  for (const [at, visits] of journal) {
    const holding = recoverable.find(([, total]) => total >= visits);
    if (holding) lags.push((holding[0] - at) / 1000); else unshipped++;
  }
  lags.sort((x, y) => x - y);
  const p = q => lags.length ? lags[Math.max(0, Math.ceil(lags.length * q / 100) - 1)].toFixed(2) : '-';
  console.log(`${p(50).padStart(8)} ${p(99).padStart(8)} ${p(100).padStart(8)} ${String(unshipped).padStart(10)}`);
} else {
  console.error('usage: ship-tools.js pace URL RATE SECONDS [JOURNAL] | count LISTEN_PORT TARGET_PORT FILE [CONFIRMED] | lag JOURNAL STORED VISITS_BEFORE');
  process.exit(2);
}
