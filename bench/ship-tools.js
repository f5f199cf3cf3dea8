// Helpers for bench/ship.sh, on 127.0.0.1 only:
//   node bench/ship-tools.js pace URL VISITS_PER_SECOND SECONDS   GET URL at a steady rate; prints "sent ok"
//   node bench/ship-tools.js count LISTEN_PORT TARGET_PORT FILE   an HTTP hop to the object store that writes
//                                                                 "<method> <count>" lines to FILE every second
'use strict';
const http = require('http');
const fs = require('fs');
const [mode, ...args] = process.argv.slice(2);

if (mode === 'pace') {
  const [url, rate, seconds] = [args[0], Number(args[1]), Number(args[2])];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let sent = 0, ok = 0;
  const timer = setInterval(() => {
    sent++;
    http.get(url, { agent }, res => { res.resume(); res.on('end', () => { if (res.statusCode === 200) ok++; }); }).on('error', () => {});
  }, 1000 / rate);
  setTimeout(() => { clearInterval(timer); setTimeout(() => { console.log(`${sent} ${ok}`); agent.destroy(); }, 1000); }, seconds * 1000);
} else if (mode === 'count') {
  const [listen, target, file] = [Number(args[0]), Number(args[1]), args[2]];
  const counts = {};
  http.createServer((req, res) => {
    counts[req.method] = (counts[req.method] || 0) + 1;
    const upstream = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, reply => {
      res.writeHead(reply.statusCode, reply.headers);
      reply.pipe(res);
    });
    upstream.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(upstream);
  }).listen(listen, '127.0.0.1');
  setInterval(() => fs.writeFileSync(file, Object.entries(counts).map(([m, n]) => `${m} ${n}`).join('\n') + '\n'), 1000);
} else {
  console.error('usage: ship-tools.js pace URL RATE SECONDS | count LISTEN_PORT TARGET_PORT FILE');
  process.exit(2);
}
