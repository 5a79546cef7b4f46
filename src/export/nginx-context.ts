// What every part of the nginx writer reads: the site, its settled options, the variable names, and
// what the parts hand each other (the notes so far, the add_header lines).
import type { Effective, Site } from './site.js';
import type { Names } from './nginx-syntax.js';

/** What every part of the writer reads: the site, its settled options, the variable names, the notes so far. */
export interface Context {
  site: Site;
  settings: Effective;
  names: Names;
  notes: string[];
  /** The base as URLs write it without its last slash (`/repo`, `/my%20repo`), '' without a base. */
  baseUrl: string;
  /** Whether the root has its own 404.html (tiny-serve's built-in page locks itself down with a CSP; the site's does not). */
  hasNotFoundPage: boolean;
  /** The add_header lines, made with the maps they read. */
  headerLines: string[];
}
