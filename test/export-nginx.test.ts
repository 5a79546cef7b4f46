// `tiny-serve export nginx`: the matrix against the real nginx (Debian's nginx-light), and what nginx
// may legitimately do differently, each with its reason.
import { runMatrix } from './export-matrix.js';
import type { Allowance } from './export-servers.js';

const ALLOWANCES: Allowance[] = [];

runMatrix('nginx', ALLOWANCES);
