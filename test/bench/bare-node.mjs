// The benchmark's "bare node" reference (issue 14): a node:http server that replays, from memory, the answers
// tiny-serve gave to three requests — `GET /index.html` (200), the same with a matching `If-None-Match` (304) and
// anything else (404) — with the same status, headers and body bytes. It does nothing else (no disk, no routing,
// no validation beyond one string compare), so its rate is what one event loop and node:http can do for those
// answers: the practical ceiling for tiny-serve on the same workloads.
// Usage: node test/bench/bare-node.mjs <answers.json> <port>   (answers.json is written by run.mjs)
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [answersFile, port] = process.argv.slice(2);
const answers = JSON.parse(readFileSync(answersFile, 'utf8'));

// Each answer is { status, headers (as tiny-serve spelled them), etag, body (base64) }; decoded once, so a request
// only picks one and writes it.
function decode({ status, headers, body }) {
  return { status, headers, body: Buffer.from(body, 'base64') };
}

const ok = decode(answers.ok);
const notModified = decode(answers.notModified);
const notFound = decode(answers.notFound);
const { etag } = answers.ok;

function pick(req) {
  if (req.url !== '/index.html') return notFound;
  return etag !== undefined && req.headers['if-none-match'] === etag ? notModified : ok;
}

http
  .createServer((req, res) => {
    const answer = pick(req);
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  })
  .listen(Number(port), '127.0.0.1');
