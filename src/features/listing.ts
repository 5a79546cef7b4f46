// Directory listings: entries read from metadata only (no file is opened), sorted as the query asks
// (by name, size or date; folders first), rendered as escaped, self-contained HTML under a strict
// CSP, or as JSON.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Answer } from '../types.js';
import type { Dirent, Stats } from 'node:fs';
import { readDirectory, statPath } from '../files/fs-access.js';
import { escapeHtml } from '../http/pages.js';
import type { Entry } from '../types.js';

export interface ListingEntry {
  name: string;
  type: 'directory' | 'file';
  size: number;
  /** ISO 8601 modification time. */
  mtime: string;
  /** Percent-encoded path of the entry (directories end with `/`). */
  url: string;
}

/** What a listing can be sorted by: `?sort=`. */
export type SortColumn = 'name' | 'size' | 'date';
export type SortDirection = 'asc' | 'desc';

/** The order of a listing's entries, from `?sort=name|size|date&order=asc|desc`. */
export interface ListingOrder {
  sort: SortColumn;
  order: SortDirection;
}

const SORT_COLUMNS: readonly SortColumn[] = ['name', 'size', 'date'];
/** Each column's direction when first chosen: names A to Z, the largest first, the newest first. */
const FIRST_DIRECTION: Record<SortColumn, SortDirection> = { name: 'asc', size: 'desc', date: 'desc' };

export const DEFAULT_ORDER: Readonly<ListingOrder> = { sort: 'name', order: 'asc' };

function isSortColumn(value: string | null): value is SortColumn {
  return SORT_COLUMNS.includes(value as SortColumn);
}

/**
 * The order a listing's query asks for. A missing or unknown value is ignored, never an error: no
 * valid `sort` means by name, no valid `order` means the column's first direction; the first of
 * repeated parameters counts.
 */
export function listingOrder(query: string): ListingOrder {
  const params = new URLSearchParams(query);
  const sort = params.get('sort');
  const order = params.get('order');
  const column = isSortColumn(sort) ? sort : 'name';
  return { sort: column, order: order === 'asc' || order === 'desc' ? order : FIRST_DIRECTION[column] };
}

/** Entries statted at once: enough to keep the thread pool busy, few enough to leave it to others. */
const STAT_BATCH = 64;
/** Made for the first listing: building an ICU collator takes ~10 ms, which a start need not spend. */
let collator: Intl.Collator | undefined;

/** Natural order (file2 before file10, case aside), then code points, so that no two names tie. */
function byName(a: ListingEntry, b: ListingEntry): number {
  collator ??= new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Entries in the order asked: folders first in either direction (so a folder never hides among
 * files), each group by the column, ties by name A to Z.
 */
export function sortListing(entries: ListingEntry[], { sort, order }: ListingOrder): ListingEntry[] {
  const sign = order === 'asc' ? 1 : -1;
  // Parsed once per entry, not once per comparison; numbers also order years past 9999 correctly.
  const times = new Map(sort === 'date' ? entries.map((entry) => [entry, Date.parse(entry.mtime)]) : []);
  const byColumn = (a: ListingEntry, b: ListingEntry): number => {
    if (sort === 'size') return a.size - b.size;
    if (sort === 'date') return times.get(a)! - times.get(b)!;
    return byName(a, b);
  };
  const folderFirst = (a: ListingEntry, b: ListingEntry): number =>
    a.type === b.type ? 0 : a.type === 'directory' ? -1 : 1;
  return [...entries].sort((a, b) => folderFirst(a, b) || sign * byColumn(a, b) || byName(a, b));
}

/**
 * Reads a directory's visible entries, in no particular order (`sortListing` orders them).
 * `isListed` filters names (dotfiles and the config file are never listed); entries that vanish or
 * are neither file nor directory (dangling links, FIFOs, sockets) are left out. Stats run in batches,
 * yielding between them.
 */
export async function readListing(
  dirPath: string,
  urlPath: string,
  isListed: (name: string) => boolean,
  followLink: (path: string) => Promise<Entry | undefined>,
): Promise<ListingEntry[]> {
  const dirents = (await readDirectory(dirPath)).filter((dirent) => isListed(dirent.name));
  const base = encodePath(urlPath);
  const entries: ListingEntry[] = [];
  // A symlink is listed only if the server would serve its target (inside the root, not private):
  // a listing must neither leak metadata from outside nor offer links that 404.
  const statOf = (dirent: Dirent): Promise<Stats | undefined> => {
    const path = join(dirPath, dirent.name);
    return dirent.isSymbolicLink()
      ? followLink(path).then((entry) => entry?.stats, () => undefined)
      : statPath(path).catch(() => undefined);
  };
  for (let start = 0; start < dirents.length; start += STAT_BATCH) {
    const batch = dirents.slice(start, start + STAT_BATCH);
    const stats = await Promise.all(batch.map(statOf));
    batch.forEach(({ name }, index) => {
      const stat = stats[index];
      if (!stat || !(stat.isFile() || stat.isDirectory())) return;
      const isDirectory = stat.isDirectory();
      entries.push({
        name,
        type: isDirectory ? 'directory' : 'file',
        size: isDirectory ? 0 : stat.size,
        mtime: stat.mtime.toISOString(),
        url: `${base}${encodeURIComponent(name)}${isDirectory ? '/' : ''}`,
      });
    });
  }
  return entries;
}


const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 0 B, 512 B, 1.5 KiB, 42 KiB, 1.0 MiB: one decimal below 10, and never "1024 KiB". */
export function humanSize(bytes: number): string {
  let unit = 0;
  let value = bytes;
  // Step up while the value, as it would be printed, reaches 1024 of the current unit.
  while (unit < UNITS.length - 1 && (value >= 1024 || (unit > 0 && Math.round(value) >= 1024))) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${bytes} B`;
  const shown = value < 9.95 ? value.toFixed(1) : String(Math.round(value));
  return `${shown} ${UNITS[unit]}`;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#656d76;--line:#d0d7de;--link:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#8d96a0;--line:#30363d;--link:#4493f8}}
body{margin:0;font:15px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:60rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.25rem;font-weight:600;word-break:break-all}
a{color:var(--link);text-decoration:none}a:hover,a:focus{text-decoration:underline}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:500}th a{color:inherit}
td.name{word-break:break-all}td.size,td.date,th.size,th.date{white-space:nowrap;color:var(--muted)}
td.size,th.size{text-align:right}
@media (max-width:40rem){.date{display:none}}
`.trim();

let listingCsp: string | undefined;

/**
 * The only style allowed on the page: by hash, so no injected markup could style or script anything.
 * Hashed on the first listing, not at start-up: node:crypto loads only when something needs it.
 */
export const listingPolicy = (): string =>
  (listingCsp ??= `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);

/** A decoded path as a URL writes it, each segment percent-encoded. */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The links up to the page, from the base (`/` or `/repo/`, the first link as a whole): none leaves it. */
function breadcrumb(urlPath: string, base: string): string {
  const parts = urlPath.slice(base.length).split('/').filter((part) => part !== '');
  let href = encodePath(base);
  const links = [`<a href="${escapeHtml(href)}">${escapeHtml(base)}</a>`];
  for (const part of parts) {
    href += `${encodeURIComponent(part)}/`;
    links.push(`<a href="${escapeHtml(href)}">${escapeHtml(part)}</a>/`);
  }
  return links.join('');
}

const COLUMNS: { sort: SortColumn; label: string; className: string }[] = [
  { sort: 'name', label: 'Name', className: '' },
  { sort: 'size', label: 'Size', className: ' class="size"' },
  { sort: 'date', label: 'Modified', className: ' class="date"' },
];

/**
 * The column headers: each a link that sorts by its column (reversing the current one), the current
 * one marked by an arrow and by aria-sort. Links are query-only, so they keep whatever path the page
 * was reached by, and they need no script.
 */
function columnHeaders({ sort, order }: ListingOrder): string {
  return COLUMNS.map((column) => {
    const current = column.sort === sort;
    const next = current ? (order === 'asc' ? 'desc' : 'asc') : FIRST_DIRECTION[column.sort];
    const href = `?sort=${column.sort}&order=${next}`;
    const ariaSort = current ? ` aria-sort="${order === 'asc' ? 'ascending' : 'descending'}"` : '';
    const arrow = current ? ` <span aria-hidden="true">${order === 'asc' ? '▲' : '▼'}</span>` : '';
    return `<th scope="col"${column.className}${ariaSort}><a href="${escapeHtml(href)}">${column.label}${arrow}</a></th>`;
  }).join('');
}

/**
 * The page for entries already in `order` (which only marks the headers). `urlPath` is the page's
 * decoded path, under `base` (where the site is served): no link goes above the base.
 */
export function renderListingHtml(urlPath: string, entries: ListingEntry[], order: ListingOrder = DEFAULT_ORDER, base = '/'): string {
  const rows = entries.map((entry) => {
    const label = escapeHtml(entry.name) + (entry.type === 'directory' ? '/' : '');
    const size = entry.type === 'directory' ? '—' : humanSize(entry.size);
    // The server's clock zone would differ from the reader's: times are shown in UTC, and say so.
    const date = `${entry.mtime.slice(0, 16).replace('T', ' ')} UTC`;
    return `<tr><td class="name"><a href="${escapeHtml(entry.url)}">${label}</a></td><td class="size">${size}</td><td class="date"><time datetime="${entry.mtime}">${date}</time></td></tr>`;
  });
  if (urlPath !== base) {
    // Absolute: a relative "../" would skip a level when the URL has no trailing slash.
    const href = encodePath(urlPath.replace(/[^/]*\/$/, ''));
    rows.unshift(`<tr><td class="name"><a href="${escapeHtml(href)}">../</a></td><td class="size"></td><td class="date"></td></tr>`);
  }
  const title = `Index of ${escapeHtml(urlPath)}`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>${STYLE}</style></head>
<body><main>
<h1>Index of ${breadcrumb(urlPath, base)}</h1>
<table>
<thead><tr>${columnHeaders(order)}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</main></body>
</html>
`;
}

/**
 * JSON when asked by `?format=json`, or when Accept names application/json explicitly and does not
 * rank text/html above it; browsers (which list text/html first) get HTML.
 */
export function wantsJson(req: IncomingMessage, query: string): boolean {
  if (/(?:^\?|&)format=json(?:&|$)/.test(query)) return true;
  const accept = req.headers.accept;
  if (!accept) return false;
  let json: number | undefined;
  let html: number | undefined;
  for (const item of accept.split(',')) {
    const [type, ...params] = item.split(';').map((part) => part.trim().toLowerCase());
    const qParam = params.find((param) => param.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (type === 'application/json') json = Math.max(json ?? 0, Number.isFinite(q) ? q : 0);
    if (type === 'text/html') html = Math.max(html ?? 0, Number.isFinite(q) ? q : 0);
  }
  return json !== undefined && json > 0 && (html === undefined || json > html);
}

/**
 * A listing as a complete answer, its entries in `order` (HEAD sends its headers only). Listings vary
 * on Accept and are always revalidated; the order is in the URL, so it needs no Vary. `urlPath` is
 * the decoded path as the client sees it, under `base`.
 */
export function listingAnswer(urlPath: string, entries: ListingEntry[], json: boolean, order: ListingOrder = DEFAULT_ORDER, base = '/'): Answer {
  const sorted = sortListing(entries, order);
  const body = Buffer.from(json ? `${JSON.stringify({ path: urlPath, entries: sorted })}\n` : renderListingHtml(urlPath, sorted, order, base));
  return {
    status: 200,
    headers: {
      'Content-Type': json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
      'Content-Length': body.length,
      'Cache-Control': 'no-cache',
      Vary: 'Accept',
      'Content-Security-Policy': listingPolicy(),
      'X-Content-Type-Options': 'nosniff',
    },
    body,
  };
}
