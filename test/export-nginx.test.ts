// `tiny-serve export nginx`: the matrix against the real nginx (Debian's nginx-light), and what nginx
// may legitimately do differently, each with its reason.
import { runMatrix } from './export-matrix.js';
import type { Allowance, Observed, Probe } from './export-servers.js';

/** tiny-serve's own page for a status (pages.ts builtInPage): nginx answers with its own instead. */
const builtInPage = (ours: Observed): boolean => ours.body.toString('latin1').startsWith('<!doctype html><html lang="en"><meta charset="utf-8"><title>');
const isListing = (ours: Observed): boolean => ours.status === 200 && String(ours.headers['content-type']).startsWith('text/html') && ours.headers.vary === 'Accept';
const insideLink = (_ours: Observed, probe: Probe): boolean => /\/inside-link\.txt$/.test(probe.path);

const ALLOWANCES: Allowance[] = [
  {
    field: 'body',
    when: (ours) => ours.status !== 200 && builtInPage(ours),
    reason: "a redirect, 405 or out-of-base 404 without a page of the site's own: nginx sends its built-in page",
  },
  {
    field: 'content-type',
    when: (ours) => (ours.status === 301 || ours.status === 302) && builtInPage(ours),
    reason: "nginx's built-in 301/302 page is text/html without a charset (its charset module never labels those two); the page is nginx's own, ASCII",
  },
  {
    field: 'body',
    when: isListing,
    reason: "a directory listing is nginx's autoindex page (a note says so)",
  },
  ...(['status', 'content-type', 'cache-control', 'vary', 'body'] as const).map(
    (field): Allowance => ({
      field,
      when: insideLink,
      reason: 'nginx cannot follow symlinks inside the root only, so it follows none: a link inside the root is a 404 (a note says so)',
    }),
  ),
];

runMatrix('nginx', ALLOWANCES);
