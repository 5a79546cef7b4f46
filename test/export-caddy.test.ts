// `tiny-serve export caddy`: the matrix against the real caddy (Debian's caddy), and what caddy
// may legitimately do differently, each with its reason.
import { runMatrix } from './export-matrix.js';
import type { Allowance } from './export-servers.js';

const ALLOWANCES: Allowance[] = [];

runMatrix('caddy', ALLOWANCES);
