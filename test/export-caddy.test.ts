// `tiny-serve export caddy`: the matrix against the real caddy (Debian's caddy), and what caddy
// may legitimately do differently, each with its reason.
import { runMatrix } from './export-matrix.js';
import type { Allowance, Observed } from './export-servers.js';

const isRedirect = (ours: Observed): boolean => ours.status >= 300 && ours.status < 400;
/** tiny-serve's listing: the only 200 that varies on Accept alone (a --single answer varies on Accept-Encoding too). */
const isListing = (ours: Observed): boolean => ours.status === 200 && ours.headers.vary === 'Accept' && String(ours.headers['content-type']).startsWith('text/html');

const ALLOWANCES: Allowance[] = [
  { field: 'body', when: isRedirect, reason: "Caddy's redirect has no body; tiny-serve's carries a small HTML page (same status, Location and headers)." },
  { field: 'body', when: isListing, reason: "A directory listing is Caddy's own page (file_server browse); the names listed are the same." },
  {
    field: 'x-content-type-options',
    when: (ours) => ours.status === 304,
    reason: "Caddy's 304 keeps the nosniff header set for the file; tiny-serve's 304 carries only validators, caching headers and option headers (a 304 has no body to sniff).",
  },
];

runMatrix('caddy', ALLOWANCES);
